/**
 * Messages for option validation that tell the caller what to write instead: the nearest known
 * name for a misspelt key, the accepted forms of a field that took the wrong shape.
 */

/** Accepted forms of fields whose wrong shape is a common slip, in the caller's own words. */
const ACCEPTED_FORMS: Record<string, string> = {
  platforms: "'all' or a list of platforms such as ['linux/amd64', 'linux/arm64/v8']",
  tags: "a list of tags such as ['v1.2.3', 'latest']",
  env: "a list of KEY=value strings such as ['GOAMD64=v2']",
  flags: "a list of go build flags such as ['-tags=netgo']",
  ldflags: "a list of linker flags such as ['-s', '-w', '-X main.version=1.2.3']",
  insecureRegistries: "a list of registry hosts such as ['registry.local:5000']",
  sinks: "a list such as [{ type: 'layout', path: './out' }, { type: 'tarball', path: 'app.tar' }, { type: 'daemon' }]",
  cacheDir: 'a folder path, or false for a throw-away cache',
};

/** Optimal string alignment distance (a swap of two neighbours counts as one edit). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `key`, if it is close enough to be a slip (≤ 1 edit per 3 letters, at most 3). */
export function nearestName(key: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  const limit = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  return best && best.distance <= limit ? best.name : undefined;
}

/** `options.platfroms is not an option; did you mean platforms?` (one sentence per unknown key). */
export function unknownKeysMessage(keys: readonly string[], known: readonly string[], prefix = 'options'): string {
  return keys
    .map((key) => {
      const near = nearestName(key, known);
      const shown = JSON.stringify(key.slice(0, 60)).slice(1, -1);
      return near
        ? `${prefix}.${shown} is not an option; did you mean ${near}?`
        : `${prefix}.${shown} is not an option (known: ${[...known].sort().join(', ')}).`;
    })
    .join(' ');
}

/** The accepted forms of a field, if it has a common wrong shape, e.g. for `platforms: 'linux/amd64'`. */
export function acceptedForms(field: string, value: unknown): string | undefined {
  const forms = ACCEPTED_FORMS[field];
  if (!forms) return undefined;
  const got =
    typeof value === 'string'
      ? `the string '${value.slice(0, 60)}'${field !== 'cacheDir' ? ` (wrap it in a list: ['${value.slice(0, 60)}'])` : ''}`
      : Array.isArray(value)
        ? 'a list with a wrong entry'
        : value === null
          ? 'null'
          : typeof value;
  return `options.${field} must be ${forms}; got ${got}.`;
}
