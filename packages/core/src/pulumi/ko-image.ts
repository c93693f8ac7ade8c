import * as pulumi from '@pulumi/pulumi';
import type { KoImageOptions } from './image-operations.js';
import { koImageProvider } from './image-provider.js';

/** Every publish option of `@tsko/core` that is plain data, each a Pulumi input. */
export type KoImagePublishArgs = { [K in keyof KoImageOptions]?: pulumi.Input<KoImageOptions[K]> };

/** One registry login, as `@pulumi/docker-build`'s `registries` entries; pass the password as a secret. */
export interface RegistryLoginArgs {
  /** Registry host, e.g. `ghcr.io` or `127.0.0.1:5000` (a scheme or path is ignored). */
  address: pulumi.Input<string>;
  username: pulumi.Input<string>;
  password: pulumi.Input<string>;
}

export interface KoImageArgs extends KoImagePublishArgs {
  /** The Go main package: `./cmd/app`, `example.com/app/cmd/app` or `ko://…`. */
  importPath: pulumi.Input<string>;
  /**
   * Logins for this image's registries; pass passwords as secrets
   * (`config.requireSecret(…)`). They stay secret in the state and win over docker config files.
   */
  registries?: pulumi.Input<pulumi.Input<RegistryLoginArgs>[]>;
  /**
   * Build (without pushing) during `pulumi preview`, so the preview shows the exact digest
   * `pulumi up` will push (default true). Off: the preview builds nothing and reports a change.
   */
  buildOnPreview?: boolean;
}

const OWN_ARGS = new Set(['importPath', 'registries', 'buildOnPreview']);

/**
 * A Go program built into an OCI image and pushed, as a resource in the stack: its outputs are
 * known on preview (built, not pushed), failures are errors of this resource, and destroy
 * leaves the registry alone.
 */
export class KoImage extends pulumi.dynamic.Resource {
  /** The digest-pinned reference to deploy (`repo@sha256:…`, or `repo:tag@sha256:…` for one non-latest tag). */
  declare readonly ref: pulumi.Output<string>;
  declare readonly digest: pulumi.Output<string>;
  /** `os/arch[/variant]` of each image in the index (one entry for a single-platform image). */
  declare readonly platforms: pulumi.Output<string[]>;
  declare readonly tags: pulumi.Output<string[]>;
  declare readonly repository: pulumi.Output<string>;

  constructor(name: string, args: KoImageArgs, opts?: pulumi.CustomResourceOptions) {
    const options: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(args)) if (!OWN_ARGS.has(key)) options[key] = value;
    const buildOnPreview = args.buildOnPreview ?? true;
    super(
      koImageProvider,
      name,
      {
        importPath: args.importPath,
        options,
        registries: args.registries,
        ...(pulumi.runtime.isDryRun() && !buildOnPreview ? { skipBuild: true } : {}),
        ref: undefined,
        digest: undefined,
        platforms: undefined,
        tags: undefined,
        repository: undefined,
      },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), 'registries'] },
      'tsko',
      'KoImage',
    );
  }
}
