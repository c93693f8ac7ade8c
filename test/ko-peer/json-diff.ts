/**
 * Every JSON path where two documents differ (`a.b[2].c`), leaves only: the side-by-side
 * test compares ko's and tsko's manifests and configs with this and asserts the list equals
 * the README's deliberate differences, so a new difference (or a vanished one) fails.
 */
export function jsonDiffPaths(a: unknown, b: unknown, path = ''): string[] {
  if (Object.is(a, b)) return [];
  const bothObjects = typeof a === 'object' && a !== null && typeof b === 'object' && b !== null;
  if (!bothObjects || Array.isArray(a) !== Array.isArray(b)) return [path || '(root)'];
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...jsonDiffPaths(a[i], b[i], `${path}[${i}]`));
    return out;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort();
  return keys.flatMap((k) => jsonDiffPaths(ao[k], bo[k], path ? `${path}.${k}` : k));
}
