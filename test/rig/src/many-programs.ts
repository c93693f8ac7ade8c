import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The module path of the generated repository. */
export const MANY_MODULE = 'example.com/many';

/** The file holding the shared value every program prints; rewrite it to make all of them rebuild. */
export const SHARED_VALUE_FILE = join('internal', 'shared', 'value.go');

/** Go source of the shared value file. */
export function sharedValueSource(value: string): string {
  return `package shared\n\n// Value is printed by every program: edit it and all of them change.\nconst Value = ${JSON.stringify(value)}\n`;
}

/** `cmd/p01` … `cmd/pNN`, two digits wide. */
export function manyProgramNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
}

/**
 * Writes a module with `count` main packages (`cmd/p01` …) that import two shared internal
 * packages and net/http and encoding/json, so that each build compiles and links something
 * real (a ~8 MB binary), and a shared edit rebuilds every program. No module dependencies:
 * it builds with GOPROXY=off.
 */
export async function writeManyPrograms(dir: string, count: number, value = 'one'): Promise<string[]> {
  const names = manyProgramNames(count);
  const file = (path: string, text: string) =>
    mkdir(join(dir, path, '..'), { recursive: true }).then(() => writeFile(join(dir, path), text));
  await file('go.mod', `module ${MANY_MODULE}\n\ngo 1.21\n`);
  await file(SHARED_VALUE_FILE, sharedValueSource(value));
  await file(
    'internal/api/api.go',
    [
      'package api',
      '',
      'import (',
      '\t"encoding/json"',
      '\t"net/http"',
      '',
      `\t"${MANY_MODULE}/internal/shared"`,
      ')',
      '',
      '// Handler answers with the program name and the shared value as JSON.',
      'func Handler(name string) http.Handler {',
      '\treturn http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {',
      '\t\t_ = json.NewEncoder(w).Encode(map[string]string{"program": name, "value": shared.Value})',
      '\t})',
      '}',
      '',
    ].join('\n'),
  );
  await Promise.all(
    names.map((name) =>
      file(
        `cmd/${name}/main.go`,
        [
          'package main',
          '',
          'import (',
          '\t"fmt"',
          '\t"net/http"',
          '\t"os"',
          '',
          `\t"${MANY_MODULE}/internal/api"`,
          `\t"${MANY_MODULE}/internal/shared"`,
          ')',
          '',
          '// Set with -ldflags=-X main.stamp=… to tell builds apart.',
          'var stamp = ""',
          '',
          'func main() {',
          `\tif len(os.Args) > 1 && os.Args[1] == "serve" {`,
          `\t\t_ = http.ListenAndServe("127.0.0.1:0", api.Handler("${name}"))`,
          '\t\treturn',
          '\t}',
          `\tfmt.Println("${name}", shared.Value, stamp)`,
          '}',
          '',
        ].join('\n'),
      ),
    ),
  );
  return names.map((n) => `./cmd/${n}`);
}
