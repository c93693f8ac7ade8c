#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test and test/ with Node's own test runner (through
// tsx, so tests are TypeScript). `--unit` runs only files that need no external component
// (named *.unit.test.ts). Extra arguments are passed to `node --test`. Tests run on the Node
// that runs this script (CI runs it once with Node 20 and once with Node 22).
//
// Timeouts: every test and hook gets TSKO_TEST_TIMEOUT_MS (default 5 min) unless it sets its
// own, through scripts/per-test-timeout (node's --test-timeout bounds a whole file
// when each file runs in its own process). --test-timeout stays as the backstop for a file whose
// process never exits after its tests are done (a leaked handle).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const passThrough = args.filter((a) => a !== '--unit');

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'rig') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts') && (!unitOnly || name.endsWith('.unit.test.ts'))) out.push(path);
  }
  return out;
}

const roots = [...readdirSync('packages').map((p) => join('packages', p, 'test')), 'test'];
const files = roots
  .flatMap((root) => {
    try {
      return walk(root, []);
    } catch {
      return [];
    }
  })
  .sort();
if (files.length === 0) {
  console.error('No test files found.');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    new URL('./per-test-timeout/register.mjs', import.meta.url).href,
    '--test',
    '--test-concurrency=2',
    '--test-timeout=600000',
    ...passThrough,
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
