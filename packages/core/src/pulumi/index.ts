// `@tsko/core/pulumi`: Pulumi resources. Needs `@pulumi/pulumi` (an optional peer dependency).
export { KoImage, type KoImageArgs, type KoImagePublishArgs } from './ko-image.js';
export type { RegistryLogin, KoImageOutputs } from './image-operations.js';
