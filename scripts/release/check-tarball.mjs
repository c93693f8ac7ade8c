#!/usr/bin/env node
// Checks what a packed tarball carries beyond what publint and attw look at: the files a user
// and a registry page expect (LICENSE, README, build output), nothing from the test side, and
// package.json fields that point back to the source. Usage: check-tarball.mjs PKG.tgz...
import { execFileSync } from 'node:child_process';
import { basename } from 'node:path';

const REQUIRED_FILES = [
  'package/LICENSE',
  'package/README.md',
  'package/package.json',
  'package/dist/index.js',
  'package/dist/bundle/index.js',
];
// Test leftovers that must never ship: test folders, test files, fixtures, build bookkeeping.
const FORBIDDEN = [/\/test\//, /\.test\.[cm]?[jt]s$/, /\/fixtures?\//, /\.tsbuildinfo$/, /\/\.tmp\//];
const TEST_ONLY_DEPS = ['@tsko/test-rig'];

let failed = false;
for (const tarball of process.argv.slice(2)) {
  const problems = [];
  const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const f of REQUIRED_FILES) if (!files.includes(f)) problems.push(`missing ${f.slice('package/'.length)}`);
  for (const f of files) if (FORBIDDEN.some((re) => re.test(f))) problems.push(`ships a test leftover: ${f}`);

  const pkg = JSON.parse(execFileSync('tar', ['xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
  if (pkg.private) problems.push('is private');
  for (const field of ['description', 'license', 'homepage', 'types']) if (!pkg[field]) problems.push(`no ${field}`);
  if (!pkg.bugs?.url) problems.push('no bugs.url');
  if (!pkg.repository?.url || !pkg.repository?.directory) problems.push('no repository.url with directory');
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0) problems.push('no keywords');
  if (pkg.license === 'Apache-2.0') {
    const license = execFileSync('tar', ['xzOf', tarball, 'package/LICENSE'], { encoding: 'utf8' });
    if (!/Apache License\s+Version 2\.0, January 2004/.test(license) || !/END OF TERMS AND CONDITIONS/.test(license)) {
      problems.push('LICENSE is not the full Apache-2.0 text');
    }
  }
  const dependencies = pkg.dependencies ?? {};
  const devDependencies = pkg.devDependencies ?? {};
  for (const [name, range] of Object.entries({ ...dependencies, ...devDependencies, ...pkg.peerDependencies })) {
    if (String(range).startsWith('workspace:')) problems.push(`unresolved workspace range ${name}@${range}`);
  }
  for (const name of TEST_ONLY_DEPS) {
    if (name in dependencies || name in devDependencies) problems.push(`lists the test-only ${name}`);
  }
  for (const name of Object.keys(dependencies)) {
    if (name in devDependencies) problems.push(`${name} is in both dependencies and devDependencies`);
  }
  const label = `${basename(tarball)} (${files.length} files)`;
  if (problems.length === 0) console.log(`tarball ok: ${label}`);
  else {
    failed = true;
    console.error(`tarball ${label}:\n  ${problems.join('\n  ')}`);
  }
}
process.exit(failed ? 1 : 0);
