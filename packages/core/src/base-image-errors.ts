import { asTskoError, TskoError } from '@tsko/registry';

/**
 * A base image that cannot be fetched (missing, unauthorized, offline) fails with the
 * registry's own code, but the message says it is the *base image* and how to choose another:
 * people offline or behind a proxy meet ko's default base first and do not know it is a setting.
 */
export function baseImageError(err: unknown, spec: string, defaultBase: string): TskoError {
  const error = asTskoError(err, `base image ${spec}`);
  if (error.code === 'TSKO_ABORTED') return error;
  const isDefault = spec === defaultBase;
  const how =
    'Choose another base with options.baseImage (or baseImageOverrides for one import path), the KO_DEFAULTBASEIMAGE environment variable, or defaultBaseImage in .ko.yaml';
  const offline = isDefault
    ? ` ${spec} is the default base; without network access use 'scratch' (for static binaries) or an 'oci-layout://PATH' base.`
    : '';
  const message = `The base image ${spec} could not be fetched: ${error.message} ${how}.${offline}`;
  const options: ConstructorParameters<typeof TskoError>[2] = {
    cause: error,
    details: { ...(error.details ?? {}), baseImage: spec },
  };
  if (error.status !== undefined) options.status = error.status;
  if (error.registryErrors) options.registryErrors = error.registryErrors;
  return new TskoError(error.code, message, options);
}
