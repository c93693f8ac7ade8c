import { formatPlatform, parseReference, referenceName, type Digest, type Platform } from '@tsko/registry';

/** One module line of `go version -m`. */
export interface GoModule {
  path: string;
  version: string;
  sum?: string;
}

/** What `go version -m` says about a binary. */
export interface GoBuildInfo {
  goVersion: string;
  path: string;
  main?: GoModule;
  deps: GoModule[];
  settings: Record<string, string>;
}

/** Parses `go version -m` output (tab separated: path, mod, dep, =>, build lines). */
export function parseBuildInfo(text: string): GoBuildInfo {
  const lines = text.split('\n');
  const goVersion = /:\s*(go\S+)/.exec(lines[0] ?? '')?.[1] ?? 'unknown';
  const info: GoBuildInfo = { goVersion, path: '', deps: [], settings: {} };
  for (const line of lines.slice(1)) {
    const f = line.replace(/^\t/, '').split('\t');
    const mod = (): GoModule => {
      const m: GoModule = { path: f[1] ?? '', version: f[2] ?? '' };
      if (f[3]) m.sum = f[3];
      return m;
    };
    if (f[0] === 'path') info.path = f[1] ?? '';
    else if (f[0] === 'mod') info.main = mod();
    else if (f[0] === 'dep') info.deps.push(mod());
    else if (f[0] === '=>' && info.deps.length) info.deps[info.deps.length - 1] = mod();
    else if (f[0] === 'build' && f[1]) {
      const eq = f[1].indexOf('=');
      if (eq > 0) info.settings[f[1].slice(0, eq)] = f[1].slice(eq + 1);
    }
  }
  return info;
}

const spdxId = (s: string) => `SPDXRef-${s.replace(/[^A-Za-z0-9.-]/g, '-')}`;
const purlGolang = (m: GoModule) => `pkg:golang/${m.path}@${encodeURIComponent(m.version)}`;
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function ociPurl(repository: string, digest: Digest, platform?: Platform): string {
  const name = repository.split('/').pop() ?? repository;
  const q = new URLSearchParams({ repository_url: repository });
  if (platform) {
    q.set('arch', platform.architecture);
    q.set('os', platform.os);
  }
  return `pkg:oci/${name}@${encodeURIComponent(digest)}?${q.toString()}`;
}

function imagePackage(repository: string, digest: Digest, platform?: Platform) {
  return {
    SPDXID: spdxId(`Image-${digest.slice(7, 19)}`),
    name: digest,
    versionInfo: digest,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: 'CONTAINER',
    ...(platform ? { comment: `platform ${formatPlatform(platform)}` } : {}),
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: ociPurl(repository, digest, platform) }],
  };
}

/** The SPDX 2.3 envelope shared by image and index documents; everything derives from the inputs. */
function spdxDocument(digest: Digest, created: Date | undefined, packages: unknown[], relationships: unknown[]): Buffer {
  const doc = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `sbom-${digest}`,
    documentNamespace: `https://tsko.invalid/spdx/${digest}`,
    creationInfo: { created: rfc3339(created ?? new Date(0)), creators: ['Tool: tsko'] },
    packages,
    relationships,
  };
  return Buffer.from(JSON.stringify(doc, null, 2));
}

/**
 * An SPDX 2.3 JSON document for one image: the image, the Go main module, the standard
 * library and every dependency `go version -m` lists. Everything in it derives from the
 * inputs, so the same build gives the same bytes.
 */
export function imageSpdx(args: { repository: string; digest: Digest; platform: Platform; buildInfo: string; created?: Date; base?: { name: string; digest: string } }): Buffer {
  const info = parseBuildInfo(args.buildInfo);
  const image = imagePackage(args.repository, args.digest, args.platform);
  const base = args.base ? basePackage(args.base.name, args.base.digest) : undefined;
  const main = info.main ?? { path: info.path, version: '(devel)' };
  const goPkg = (m: GoModule, id: string, purpose: string) => ({
    SPDXID: spdxId(id),
    name: m.path,
    versionInfo: m.version,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: purpose,
    ...(m.sum ? { checksums: sumChecksum(m.sum) } : {}),
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purlGolang(m) }],
  });
  const mainPkg = goPkg(main, `Package-${main.path}`, 'APPLICATION');
  const stdlib = goPkg({ path: 'stdlib', version: info.goVersion }, 'Package-stdlib', 'LIBRARY');
  const deps = info.deps.map((d) => goPkg(d, `Package-${d.path}-${d.version}`, 'LIBRARY'));
  return spdxDocument(args.digest, args.created, [image, ...(base ? [base] : []), mainPkg, stdlib, ...deps], [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: image.SPDXID },
    ...(base ? [{ spdxElementId: image.SPDXID, relationshipType: 'DESCENDANT_OF', relatedSpdxElement: base.SPDXID }] : []),
    { spdxElementId: image.SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: mainPkg.SPDXID },
    { spdxElementId: mainPkg.SPDXID, relationshipType: 'DEPENDS_ON', relatedSpdxElement: stdlib.SPDXID },
    ...deps.map((d) => ({ spdxElementId: mainPkg.SPDXID, relationshipType: 'DEPENDS_ON', relatedSpdxElement: d.SPDXID })),
  ]);
}

/**
 * The base image as ko lists it (from the manifest's base annotations): named
 * `<repository>@<digest>`, versioned by the reference as given, with the digest as checksum.
 * A base that is not a registry reference (an OCI layout) is left out.
 */
function basePackage(name: string, digest: string) {
  let repository: string;
  let tag: string | undefined;
  try {
    const ref = parseReference(name);
    repository = referenceName(ref);
    tag = ref.tag;
  } catch {
    return undefined;
  }
  const q = new URLSearchParams({ repository_url: repository });
  if (tag) q.set('tag', tag);
  return {
    SPDXID: spdxId(`Image-${digest.slice(7, 19)}`),
    name: `${repository}@${digest}`,
    versionInfo: name,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    checksums: [{ algorithm: 'SHA256', checksumValue: digest.slice(digest.indexOf(':') + 1) }],
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:oci/image@${encodeURIComponent(digest)}?${q.toString()}` }],
  };
}

/** An SPDX 2.3 document for an index: the index and each platform image it contains. */
export function indexSpdx(args: { repository: string; digest: Digest; children: { digest: Digest; platform: Platform }[]; created?: Date }): Buffer {
  const index = imagePackage(args.repository, args.digest);
  const children = args.children.map((c) => imagePackage(args.repository, c.digest, c.platform));
  return spdxDocument(args.digest, args.created, [index, ...children], [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: index.SPDXID },
    ...children.map((c) => ({ spdxElementId: index.SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: c.SPDXID })),
  ]);
}

/** `h1:<base64 sha256>` (Go's module hash) as an SPDX SHA256 checksum. */
function sumChecksum(sum: string): { algorithm: string; checksumValue: string }[] {
  if (!sum.startsWith('h1:')) return [];
  return [{ algorithm: 'SHA256', checksumValue: Buffer.from(sum.slice(3), 'base64').toString('hex') }];
}
