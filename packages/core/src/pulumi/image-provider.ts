// The dynamic provider behind KoImage. Pulumi serializes this object's functions into the stack
// and runs them in its own provider process, so they capture nothing but one string: they load
// the operations module there, by file URL (found wherever the package is installed) and, if the
// package moved since (the state was written on another machine), by package name from the
// project folder, where Pulumi starts the provider.
import type * as pulumi from '@pulumi/pulumi';

type Operations = typeof import('./image-operations.js');

const operationsUrl: string = new URL('./image-operations.js', import.meta.url).href;
const operationsName = '@tsko/core/pulumi/operations';

async function loadOperations(): Promise<Operations> {
  try {
    return await import(operationsUrl);
  } catch {
    return import(operationsName);
  }
}

export const koImageProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const operations = await loadOperations();
    return { inputs: await operations.checkImage(news) };
  },
  async diff(_id, olds, news) {
    const operations = await loadOperations();
    return operations.diffImage(olds, news);
  },
  async create(inputs) {
    const operations = await loadOperations();
    const outs = await operations.pushImage(inputs);
    return { id: String(outs.ref), outs };
  },
  async update(_id, _olds, news) {
    const operations = await loadOperations();
    return { outs: await operations.pushImage(news) };
  },
  // Destroy leaves the registry alone (as @pulumi/docker-build does): the pushed image may be
  // running anywhere, and registries differ in whether and how they delete. Nothing to load.
  async delete() {},
};
