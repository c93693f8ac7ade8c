// `@tsko/core/pulumi`: Pulumi resources. Needs `@pulumi/pulumi` (an optional peer dependency).
export { KoImage, type KoImageArgs, type KoImagePublishArgs, type RegistryLoginArgs } from './ko-image.js';
export type { KoImageOptions, KoImageOutputs } from './image-operations.js';
