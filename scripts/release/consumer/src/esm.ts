// What a TypeScript program that adopts tsko writes first. Type-checked (never run) against the
// installed tarballs under every module resolution a consumer may use; `skipLibCheck: false` so
// every .d.ts the packages ship, and every type they pull in from their dependencies, is checked.
import { emptyImage, type Image, isTskoError, parseReference } from '@tsko/registry';
import { consoleReporter, type PublishResult, publish } from '@tsko/core';
import { resolveManifests } from '@tsko/resolve';

export async function adopt(): Promise<string> {
  const base: Image = emptyImage({ os: 'linux', architecture: 'amd64' });
  const registry: string = parseReference('registry.example.com/team/app:v1').registry;
  const reporter = consoleReporter();
  try {
    const published: PublishResult = await publish('./cmd/app', {
      repo: `${registry}/team`,
      platforms: ['linux/amd64'],
      onEvent: reporter,
    });
    const yaml: string = await resolveManifests('image: ko://example.com/app\n', { push: false });
    return `${base.digest} ${published.ref}\n${yaml}`;
  } catch (error) {
    if (isTskoError(error)) return error.code;
    throw error;
  } finally {
    reporter.summary();
  }
}
