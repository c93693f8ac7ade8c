/**
 * Seeded, replayable fault decisions. Each decision depends only on the seed, the request
 * (method and path, with upload-session ids and query strings left out because the registry
 * makes those up anew each run) and how many times that request was seen before: the n-th
 * `HEAD /v2/app/blobs/sha256:…` fails in every run with the same seed, whatever the order in
 * which concurrent requests arrive.
 */
export interface FaultDice {
  draw<K extends string>(requestLine: string, rate: number, kinds: readonly K[]): K | undefined;
}

export function faultDice(seed: number): FaultDice {
  const counts = new Map<string, number>();
  return {
    draw(requestLine, rate, kinds) {
      const key = requestLine.replace(/\?.*$/, '').replace(/\/blobs\/uploads\/[^/]+$/, '/blobs/uploads/*');
      const n = counts.get(key) ?? 0;
      counts.set(key, n + 1);
      const roll = unitHash(`${seed}\u0000${key}\u0000${n}`);
      if (roll >= rate) return undefined;
      // Reuse the part of the roll below `rate` to pick the kind, uniformly.
      return kinds[Math.min(kinds.length - 1, Math.floor((roll / rate) * kinds.length))];
    },
  };
}

/** A number in [0, 1) from a string: FNV-1a, then a murmur3 finaliser to spread the bits. */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}
