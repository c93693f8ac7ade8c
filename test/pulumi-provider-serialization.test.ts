import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
// The built provider object, as an installed @tsko/core holds it (not exported: KoImage uses it).
import { koImageProvider } from '../packages/core/dist/pulumi/image-provider.js';

// Pulumi stores a dynamic resource's provider as JavaScript text and evaluates it in its own
// provider process with require-from-string, relative to the project folder. These tests
// serialize KoImage's provider as pulumi.dynamic.Resource does and evaluate it the same way.
const requireFromString = createRequire(createRequire(import.meta.url).resolve('@pulumi/pulumi'))(
  'require-from-string',
) as (code: string) => { handler(): pulumi.dynamic.ResourceProvider };

const serialized = () =>
  pulumi.runtime.serializeFunction(() => koImageProvider, { allowSecrets: true }).then((f) => f.text);

const inputs = { importPath: './cmd/app', options: { repo: 'r.example/x' }, skipBuild: true };

describe("KoImage's serialized provider", () => {
  it('captures nothing but the operations module location and name, and no secret', async () => {
    const text = await serialized();
    // (tsx, which runs the tests, adds its own import() interop with a few short strings.)
    const strings = [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    assert.deepEqual(
      strings.filter((s) => s.includes('/')).sort(),
      [
        new URL('../packages/core/dist/pulumi/image-operations.js', import.meta.url).href,
        '@tsko/core/pulumi/operations',
      ].sort(),
    );
  });

  it('loads the operations from the installed package when evaluated as Pulumi evaluates it', async () => {
    const provider = requireFromString(await serialized()).handler();
    const { inputs: checked } = await provider.check!({}, inputs);
    assert.deepEqual(checked, { importPath: './cmd/app', options: { repo: 'r.example/x' } });
  });

  it('falls back to the package name from the project folder when the stored location is gone (state moved machines)', async () => {
    const moved = (await serialized()).replace(/"file:\/\/[^"]+"/, '"file:///nonexistent/image-operations.js"');
    assert.notEqual(moved, await serialized());
    const provider = requireFromString(moved).handler();
    const { inputs: checked } = await provider.check!({}, inputs);
    assert.deepEqual(checked, { importPath: './cmd/app', options: { repo: 'r.example/x' } });
  });

  it('deletes without loading anything: destroy leaves the registry alone', async () => {
    const moved = (await serialized()).replace(/"file:\/\/[^"]+"/, '"file:///nonexistent/x.js"');
    const provider = requireFromString(
      moved.replace(/"@tsko\/core\/pulumi\/operations"/, '"no-such-package"'),
    ).handler();
    await provider.delete!('id', {});
  });
});
