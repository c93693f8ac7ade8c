/** A parsed `WWW-Authenticate` challenge, e.g. `Bearer realm="…",service="…",scope="…"`. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header (RFC 7235 auth-params, quoted strings with escapes).
 * Several challenges in one header are returned in order.
 */
export function parseChallenges(header: string | undefined): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skipWs();
    while (i < n && header[i] === ',') {
      i++;
      skipWs();
    }
    const scheme = token();
    if (!scheme) {
      i++;
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      skipWs();
      const save = i;
      const key = token();
      skipWs();
      if (!key || header[i] !== '=') {
        i = save;
        break;
      }
      i++;
      skipWs();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i++];
        }
        i++;
      } else {
        const start = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ') i++;
        value = header.slice(start, i);
      }
      challenge.params[key.toLowerCase()] = value;
      skipWs();
      if (header[i] === ',') {
        // Either the next param or the next challenge; peek for `key=`.
        const after = i + 1;
        i = after;
        skipWs();
        const peekStart = i;
        token();
        skipWs();
        const isParam = header[i] === '=';
        i = isParam ? peekStart : after;
        if (!isParam) break;
      } else break;
    }
  }
  return out;
}

/**
 * Whether two challenges send clients to the same place: scheme, realm and service. The rest
 * (`scope`, `error`) names one request, not the registry's face.
 */
export function sameChallenge(a: Challenge | undefined, b: Challenge | undefined): boolean {
  return a?.scheme === b?.scheme && a?.params.realm === b?.params.realm && a?.params.service === b?.params.service;
}

/** The scope string the distribution token protocol uses. */
export function repositoryScope(repository: string, actions: readonly ('pull' | 'push')[]): string {
  return `repository:${repository}:${[...actions].join(',')}`;
}
