import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe } from 'node:test';
import {
  emptyImage,
  Image,
  parseDigest,
  parseIndexManifest,
  parseJson,
  parsePlatform,
  parseReference,
  parseRepository,
  pullImage,
  pushImage,
  imageManifestSchema,
  selectDescriptor,
  sha256,
  verifyBytes,
} from '@tsko/registry';
import { startRegistry, type TestRegistry } from '@tsko/test-rig';
import { badInputRows } from './table.js';

const bad = <T>(value: unknown) => value as T;

describe('bad input to @tsko/registry gets a typed error that names it', () => {
  let registry: TestRegistry;
  let hostile: Server;
  let hostileHost: string;
  before(async () => {
    registry = await startRegistry('plain');
    await pushImage(emptyImage({ os: 'linux', architecture: 'amd64' }), `${registry.host}/bad-input/present:v1`, {
      env: { HOME: '/nonexistent' },
    });
    // A registry that answers a manifest request with bytes that are not JSON. The real
    // registry validates manifests on push, so it cannot be made to serve this; hence a
    // small server of our own, on loopback.
    hostile = createServer((req, res) => {
      if (req.url === '/v2/') return res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      if (req.url?.startsWith('/v2/garbage/manifests/')) {
        return res
          .writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
          .end(req.method === 'HEAD' ? undefined : 'this is not JSON {');
      }
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}');
    });
    hostile.listen(0, '127.0.0.1');
    await once(hostile, 'listening');
    hostileHost = `127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  });
  after(async () => {
    hostile?.close();
    await registry?.stop();
  });

  const env = { HOME: '/nonexistent' };
  badInputRows([
    {
      name: 'parsePlatform(undefined)',
      run: () => parsePlatform(bad(undefined)),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'undefined',
    },
    { name: 'parsePlatform(42)', run: () => parsePlatform(bad(42)), code: 'TSKO_INVALID_ARGUMENT', names: 'number 42' },
    {
      name: 'parsePlatform of a cyclic object',
      run: () => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return parsePlatform(bad(o));
      },
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'object',
    },
    {
      name: 'parsePlatform("linux")',
      run: () => parsePlatform('linux'),
      code: 'TSKO_INVALID_ARGUMENT',
      names: '"linux"',
    },
    {
      name: 'parsePlatform("linux/amd64/v1/extra")',
      run: () => parsePlatform('linux/amd64/v1/extra'),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'linux/amd64/v1/extra',
    },
    {
      name: 'parsePlatform("linux/am d64")',
      run: () => parsePlatform('linux/am d64'),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'am d64',
    },
    { name: 'parseReference("")', run: () => parseReference(''), code: 'TSKO_INVALID_REFERENCE', names: /empty/ },
    {
      name: 'parseReference with white space',
      run: () => parseReference('reg.example.com/app :v1'),
      code: 'TSKO_INVALID_REFERENCE',
      names: 'reg.example.com/app :v1',
    },
    {
      name: 'parseReference with a scheme',
      run: () => parseReference('https://reg.example.com/app'),
      code: 'TSKO_INVALID_REFERENCE',
      names: 'https://reg.example.com/app',
    },
    {
      name: 'parseReference with a bad digest',
      run: () => parseReference('reg.example.com/app@sha256:1234'),
      code: 'TSKO_INVALID_REFERENCE',
      names: 'sha256:1234',
    },
    {
      name: 'parseReference with a bad tag',
      run: () => parseReference('reg.example.com/app:-bad'),
      code: 'TSKO_INVALID_REFERENCE',
      names: '-bad',
    },
    {
      name: 'parseRepository of upper case',
      run: () => parseRepository('reg.example.com/App'),
      code: 'TSKO_INVALID_REFERENCE',
      names: 'reg.example.com/App',
    },
    {
      name: 'parseDigest("sha256:xyz")',
      run: () => parseDigest('sha256:xyz', 'layer digest'),
      code: 'TSKO_INVALID_ARGUMENT',
      names: ['layer digest', 'sha256:xyz'],
    },
    {
      name: 'parseDigest(undefined)',
      run: () => parseDigest(bad(undefined)),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'undefined',
    },
    {
      name: 'verifyBytes of the wrong bytes',
      run: () => verifyBytes(Buffer.from('b'), sha256('a'), 'Config of app'),
      code: 'TSKO_DIGEST_MISMATCH',
      names: 'Config of app',
    },
    {
      name: 'parseJson of text that is not JSON',
      run: () => parseJson(imageManifestSchema, 'not json', 'Manifest of reg/app:v1'),
      code: 'TSKO_INVALID_MANIFEST',
      names: ['Manifest of reg/app:v1', 'not valid JSON'],
    },
    {
      name: 'parseJson of a manifest without layers',
      run: () =>
        parseJson(
          imageManifestSchema,
          '{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":1}}',
          'M',
        ),
      code: 'TSKO_INVALID_MANIFEST',
      names: 'layers',
    },
    {
      name: 'parseIndexManifest of an object that is no index',
      run: () => parseIndexManifest(Buffer.from('{"schemaVersion":2}'), 'index of reg/app'),
      code: 'TSKO_INVALID_MANIFEST',
      names: ['index of reg/app', 'manifests'],
    },
    {
      name: 'Image.fromManifest of bytes that are not JSON',
      run: () =>
        Image.fromManifest(
          Buffer.from('<html>'),
          Buffer.from('{}'),
          () => {
            throw new Error('unused');
          },
          'Image reg/app:v1',
        ),
      code: 'TSKO_INVALID_MANIFEST',
      names: 'Image reg/app:v1',
    },
    {
      name: 'selectDescriptor with no matching platform',
      run: () =>
        selectDescriptor(
          [{ mediaType: 'x', digest: sha256('a'), size: 1, platform: { os: 'linux', architecture: 'amd64' } }],
          { os: 'linux', architecture: 's390x' },
        ),
      code: 'TSKO_PLATFORM_NOT_FOUND',
      names: 's390x',
    },
    {
      name: 'pushImage of something that is not an image',
      run: () => pushImage({} as never, `${registry.host}/bad-input/x:v1`, { env }),
      code: 'TSKO_INVALID_ARGUMENT',
      names: ['Image or ImageIndex', 'bad-input/x'],
    },
    {
      name: 'pullImage of a number',
      run: () => pullImage(42 as never, { env }),
      code: 'TSKO_INVALID_REFERENCE',
      names: '42',
    },
    {
      name: 'pullImage of a tag the registry does not have (rig)',
      run: () => pullImage(`${registry.host}/bad-input/present:nope`, { env }),
      code: 'TSKO_NOT_FOUND',
      names: () => `${registry.host}/bad-input/present:nope`,
    },
    {
      name: 'pullImage of a repository that does not exist (rig)',
      run: () => pullImage(`${registry.host}/bad-input/absent:v1`, { env }),
      code: 'TSKO_NOT_FOUND',
      names: 'bad-input/absent',
    },
    {
      name: 'pullImage of a manifest that is not JSON (hostile server)',
      run: () => pullImage(`${hostileHost}/garbage:v1`, { env }),
      code: 'TSKO_INVALID_MANIFEST',
      names: () => `${hostileHost}/garbage`,
    },
    {
      name: 'pullImage of an invalid reference',
      run: () => pullImage('Not A Ref', { env }),
      code: 'TSKO_INVALID_REFERENCE',
      names: 'Not A Ref',
    },
  ]);
});
