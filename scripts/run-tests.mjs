#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test and test/ with Node's own test runner (through
// tsx, so tests are TypeScript). `--unit` runs only files that need no external component
// (named *.unit.test.ts). Extra arguments are passed to `node --test`.
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
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...passThrough, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
