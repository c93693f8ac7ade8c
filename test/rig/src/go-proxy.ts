import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32 } from 'node:zlib';

/** A module to serve: its path, version and files (go.mod included). */
export interface ProxyModule {
  path: string;
  version: string;
  files: Record<string, string>;
}

/**
 * Writes a module proxy as a folder (Go's GOPROXY protocol over `file://`): `list`, `.info`,
 * `.mod` and `.zip` per module version. This stands in for a company's private proxy, so a
 * test can prove the caller's GOPROXY/GONOSUMDB/GOPRIVATE reach `go`; the module exists
 * nowhere else. Returns the GOPROXY value.
 */
export async function writeModuleProxy(dir: string, modules: readonly ProxyModule[]): Promise<string> {
  for (const m of modules) {
    const at = join(dir, m.path, '@v');
    await mkdir(at, { recursive: true });
    await writeFile(join(at, 'list'), `${m.version}\n`);
    await writeFile(
      join(at, `${m.version}.info`),
      JSON.stringify({ Version: m.version, Time: '2026-01-01T00:00:00Z' }),
    );
    await writeFile(join(at, `${m.version}.mod`), m.files['go.mod'] ?? `module ${m.path}\n`);
    await writeFile(
      join(at, `${m.version}.zip`),
      storedZip(Object.entries(m.files).map(([name, text]) => [`${m.path}@${m.version}/${name}`, Buffer.from(text)])),
    );
  }
  return pathToFileURL(dir).href;
}

/** A zip archive with uncompressed ("stored") entries: all a module zip needs. */
function storedZip(entries: readonly (readonly [string, Buffer])[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x21, 12); // DOS date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
