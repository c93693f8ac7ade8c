import { runOk } from './process.js';
import type { TestRegistry } from './registry.js';

/**
 * skopeo is the independent reader: what it sees in the registry is the truth our tests
 * compare against.
 */
export async function skopeoRaw(registry: TestRegistry, ref: string): Promise<Buffer> {
  const out = await runOk('skopeo', ['inspect', '--raw', ...registry.skopeoFlags(), `docker://${ref}`]);
  return Buffer.from(out, 'utf8');
}

export async function skopeoConfig(registry: TestRegistry, ref: string): Promise<Record<string, unknown>> {
  const out = await runOk('skopeo', ['inspect', '--config', ...registry.skopeoFlags(), `docker://${ref}`]);
  return JSON.parse(out) as Record<string, unknown>;
}

/** `skopeo inspect` (not raw): includes skopeo's own digest of the manifest. */
export async function skopeoInspect(
  registry: TestRegistry,
  ref: string,
  extra: string[] = [],
): Promise<{ Digest: string; Layers: string[]; Architecture: string; Os: string; Labels?: Record<string, string> }> {
  const out = await runOk('skopeo', ['inspect', ...registry.skopeoFlags(), ...extra, `docker://${ref}`]);
  return JSON.parse(out) as { Digest: string; Layers: string[]; Architecture: string; Os: string };
}

/** Copies with skopeo between transports, e.g. `oci:DIR:tag` → `docker://…`. */
export async function skopeoCopy(from: string, to: string, flags: string[] = []): Promise<void> {
  await runOk('skopeo', ['copy', '--quiet', ...flags, from, to], { timeoutMs: 300_000 });
}
