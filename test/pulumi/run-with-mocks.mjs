// Runs a Pulumi program under Pulumi's own unit-test mocks (pulumi.runtime.setMocks), with one
// addition: a dynamic resource is handed to its real provider, deserialized from the program's
// `__provider` text the way Pulumi's dynamic provider host does it (require-from-string), then
// check() and, outside a preview, create(). What the engine would add (state files, diffs across
// runs, the provider process) is not here; test/pulumi-engine.test.ts covers that with the CLI.
// Plain JavaScript so it also runs beside a program installed from the packed tarballs
// (scripts/release-dry-run.sh), where there is no tsx.
// Usage: node run-with-mocks.mjs PROGRAM preview|up  → JSON of the registered resources.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [program, mode] = process.argv.slice(2);
const fromProgram = createRequire(program);
/** @type {typeof import('@pulumi/pulumi')} */
const pulumi = fromProgram('@pulumi/pulumi');
/** @type {(code: string) => { handler(): import('@pulumi/pulumi').dynamic.ResourceProvider }} */
const requireFromString = createRequire(fromProgram.resolve('@pulumi/pulumi'))('require-from-string');

/** @type {{ type: string; name: string; inputs: Record<string, unknown>; state: Record<string, unknown> }[]} */
const registered = [];
const preview = mode === 'preview';

await pulumi.runtime.setMocks(
  {
    async newResource(args) {
      /** @type {Record<string, unknown>} */
      const inputs = args.inputs;
      let state = inputs;
      if (args.type.startsWith('pulumi-nodejs:dynamic')) {
        const provider = requireFromString(String(inputs.__provider)).handler();
        const checked = provider.check ? (await provider.check({}, inputs)).inputs : inputs;
        state = preview ? checked : (await provider.create(checked)).outs;
      }
      const { __provider: _text, ...shown } = state;
      registered.push({ type: args.type, name: args.name, inputs, state: shown });
      return { id: preview ? undefined : `${args.name}-id`, state };
    },
    call: (args) => args.inputs,
  },
  'tsko-test',
  'test',
  preview,
);

/** @type {Record<string, unknown>} */
const outputs = await import(pathToFileURL(program).href);
/** @type {Record<string, unknown>} */
const settled = {};
for (const [key, value] of Object.entries(outputs)) {
  if (pulumi.Output.isInstance(value)) settled[key] = await new Promise((resolve) => value.apply(resolve));
  // An exported resource is registered once its inputs resolve; its urn says it was.
  if (pulumi.Resource.isInstance(value)) await new Promise((resolve) => value.urn.apply(resolve));
}
process.stdout.write(
  `${JSON.stringify({ outputs: settled, registered: registered.map(({ inputs: _i, ...r }) => r) })}\n`,
);
