import type { RegistryOptions } from '@tsko/registry';
import type { TestRegistry } from '@tsko/test-rig';

/**
 * Client options that reach a rig registry: its CA, its test user, and an empty HOME so the
 * machine's own docker config never leaks into a test.
 */
export function optionsFor(registry: TestRegistry, extra: RegistryOptions = {}): RegistryOptions {
  const options: RegistryOptions = { env: { HOME: '/nonexistent-tsko-home', PATH: process.env.PATH ?? '' }, ...extra };
  if (registry.caPem) options.ca = registry.caPem;
  if (registry.username && registry.password && !extra.credentials) {
    options.credentials = { [registry.host]: { username: registry.username, password: registry.password } };
  }
  return options;
}
