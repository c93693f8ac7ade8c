import {
  formatPlatform,
  parseReference,
  type Digest,
  type Image,
  type ImageIndex,
  type Platform,
} from '@tsko/registry';

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

/**
 * Parses `go version -m` output (tab separated: path, mod, dep, =>, build lines). A replaced
 * dependency keeps its original path and version, as Go's debug.ParseBuildInfo reports it
 * and ko lists it.
 */
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
    else if (f[0] === 'build' && f[1]) {
      const eq = f[1].indexOf('=');
      if (eq > 0) info.settings[f[1].slice(0, eq)] = f[1].slice(eq + 1);
    }
  }
  return info;
}

// The document follows ko's internal/sbom/spdx.go field for field (and in its JSON key
// order), so tools that read ko's SBOMs read ours; only the tool name differs.
const NOASSERTION = 'NOASSERTION';
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
const BASE_NAME = 'org.opencontainers.image.base.name';
const BASE_DIGEST = 'org.opencontainers.image.base.digest';

interface Package {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  filesAnalyzed: false;
  licenseDeclared: string;
  licenseConcluded: string;
  downloadLocation: string;
  copyrightText: string;
  primaryPackagePurpose?: string;
  checksums?: { algorithm: string; checksumValue: string }[];
  externalRefs: { referenceCategory: string; referenceLocator: string; referenceType: string }[];
}
type Relationship = { spdxElementId: string; relationshipType: string; relatedSpdxElement: string };

const ociPackageId = (digest: string) => `SPDXRef-Package-${digest.replace(':', '-')}`;
const modulePackageId = (m: GoModule) => `SPDXRef-Package-${m.path.replaceAll('/', '.')}-${m.version}`;
const hex = (digest: string) => digest.slice(digest.indexOf(':') + 1);

/** Go's url.Values.Encode: keys sorted, values query-escaped. */
function query(pairs: [string, string][]): string {
  const q = new URLSearchParams([...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return q.toString();
}
const ociPurl = (kind: 'image' | 'index', digest: string, pairs: [string, string][]) =>
  `pkg:oci/${kind}@${digest}${pairs.length ? `?${query(pairs)}` : ''}`;

/** purl-spec for golang lower-cases the first two path elements (ko's goRef). */
function goPurl(m: GoModule): string {
  const p = m.path.split('/');
  const path = p.length > 2 ? [p[0]!.toLowerCase(), p[1]!.toLowerCase(), ...p.slice(2)].join('/') : m.path;
  return `pkg:golang/${path}@${m.version}?type=module`;
}

/** A package with ko's fixed fields, keys in the order Go's encoder writes them. */
function pkg(fields: {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation?: string;
  primaryPackagePurpose?: string;
  checksums?: Package['checksums'];
  purl: string;
}): Package {
  const out: Package = {
    SPDXID: fields.SPDXID,
    name: fields.name,
    ...(fields.versionInfo !== undefined ? { versionInfo: fields.versionInfo } : {}),
    filesAnalyzed: false,
    licenseDeclared: NOASSERTION,
    licenseConcluded: NOASSERTION,
    downloadLocation: fields.downloadLocation ?? NOASSERTION,
    copyrightText: NOASSERTION,
    externalRefs: [],
  };
  if (fields.primaryPackagePurpose) out.primaryPackagePurpose = fields.primaryPackagePurpose;
  if (fields.checksums) out.checksums = fields.checksums;
  // Re-added last so that it follows checksums, as in ko's struct.
  delete (out as Partial<Package>).externalRefs;
  out.externalRefs = [{ referenceCategory: 'PACKAGE-MANAGER', referenceLocator: fields.purl, referenceType: 'purl' }];
  return out;
}

/** `created` as ko writes it: the image config's time, seconds precision, or Go's zero time. */
function createdOf(image: Image): string {
  const created = image.config.created;
  if (!created) return GO_ZERO_TIME;
  const date = new Date(created);
  return Number.isNaN(date.getTime()) ? GO_ZERO_TIME : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function document(digest: string, created: string, packages: Package[], relationships: Relationship[]): Buffer {
  const doc = {
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `sbom-${digest}`,
    spdxVersion: 'SPDX-2.3',
    creationInfo: { created, creators: ['Tool: tsko'] },
    dataLicense: 'CC0-1.0',
    documentNamespace: `http://spdx.org/spdxdocs/tsko/${digest}`,
    documentDescribes: [ociPackageId(digest)],
    packages,
    ...(relationships.length ? { relationships } : {}),
  };
  // Go's encoder escapes <, > and & in strings; so do we, for identical bytes.
  return Buffer.from(
    `${JSON.stringify(doc, null, 2).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)}\n`,
  );
}

/**
 * The base image as a package the subject DESCENDANT_OF (ko's addBaseImage), from the
 * subject's base annotations; nothing when they are missing or the name is not a registry
 * reference (an `oci-layout://` base).
 */
function basePackage(
  annotations: Readonly<Record<string, string>> | undefined,
  subject: Digest,
): { pkg: Package; rel: Relationship } | undefined {
  const name = annotations?.[BASE_NAME];
  const digest = annotations?.[BASE_DIGEST];
  if (!name || !digest) return undefined;
  try {
    parseReference(name);
  } catch {
    return undefined;
  }
  // The repository as written in the annotation (already ko's fully qualified form, e.g.
  // index.docker.io/library/x), and the tag when the name is a tag, not a digest.
  const at = name.indexOf('@');
  let repository = at === -1 ? name : name.slice(0, at);
  let tag: string | undefined;
  const colon = repository.lastIndexOf(':');
  if (colon > repository.lastIndexOf('/')) {
    tag = repository.slice(colon + 1);
    repository = repository.slice(0, colon);
  }
  const pairs: [string, string][] = [['repository_url', repository]];
  if (tag && at === -1) pairs.push(['tag', tag]);
  const id = ociPackageId(digest);
  return {
    pkg: pkg({
      SPDXID: id,
      name: `${repository}@${digest}`,
      versionInfo: name,
      checksums: [{ algorithm: 'SHA256', checksumValue: hex(digest) }],
      purl: ociPurl('image', digest, pairs),
    }),
    rel: { spdxElementId: ociPackageId(subject), relationshipType: 'DESCENDANT_OF', relatedSpdxElement: id },
  };
}

/**
 * An SPDX 2.3 JSON document for one image, as ko writes it: the image (CONTAINER), the base
 * image it DESCENDANT_OF, the Go main module it CONTAINS, and every dependency `go version -m`
 * lists (main DEPENDS_ON each). Everything derives from the image and the binary, so the same
 * build gives the same bytes.
 */
export function imageSpdx(image: Image, buildInfo: string): Buffer {
  const info = parseBuildInfo(buildInfo);
  const id = ociPackageId(image.digest);
  const packages: Package[] = [
    pkg({
      SPDXID: id,
      name: image.digest,
      primaryPackagePurpose: 'CONTAINER',
      purl: ociPurl('image', image.digest, [['mediaType', image.mediaType]]),
    }),
  ];
  const relationships: Relationship[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: id },
  ];
  const base = basePackage(image.manifest.annotations, image.digest);
  if (base) {
    packages.push(base.pkg);
    relationships.push(base.rel);
  }
  const main = info.main ?? { path: info.path, version: '(devel)' };
  const mainId = modulePackageId(main);
  relationships.push({ spdxElementId: id, relationshipType: 'CONTAINS', relatedSpdxElement: mainId });
  packages.push(pkg({ SPDXID: mainId, name: main.path, downloadLocation: `https://${main.path}`, purl: goPurl(main) }));
  for (const dep of info.deps) {
    const depId = modulePackageId(dep);
    relationships.push({ spdxElementId: mainId, relationshipType: 'DEPENDS_ON', relatedSpdxElement: depId });
    const fields: Parameters<typeof pkg>[0] = {
      SPDXID: depId,
      name: dep.path,
      versionInfo: dep.version,
      downloadLocation: `https://proxy.golang.org/${dep.path}/@v/${dep.version}.zip`,
      purl: goPurl(dep),
    };
    if (dep.sum) fields.checksums = [{ algorithm: 'SHA256', checksumValue: h1ToHex(dep.sum) }];
    packages.push(pkg(fields));
  }
  return document(image.digest, createdOf(image), packages, relationships);
}

/**
 * An SPDX 2.3 document for an index, as ko writes it: the index, the base index it
 * DESCENDANT_OF, and each platform image, with the index VARIANT_OF each (ko's direction).
 * `created` is the first image's config time.
 */
export function indexSpdx(index: ImageIndex): Buffer {
  const id = ociPackageId(index.digest);
  const packages: Package[] = [
    pkg({
      SPDXID: id,
      name: index.digest,
      primaryPackagePurpose: 'CONTAINER',
      checksums: [{ algorithm: 'SHA256', checksumValue: hex(index.digest) }],
      purl: ociPurl('index', index.digest, [['mediaType', index.mediaType]]),
    }),
  ];
  const relationships: Relationship[] = [];
  const base = basePackage(index.manifest.annotations, index.digest);
  if (base) {
    packages.push(base.pkg);
    relationships.push(base.rel);
  }
  for (const d of index.manifest.manifests) {
    const platform = d.platform as Platform | undefined;
    relationships.push({
      spdxElementId: id,
      relationshipType: 'VARIANT_OF',
      relatedSpdxElement: ociPackageId(d.digest),
    });
    const pairs: [string, string][] = [['mediaType', d.mediaType]];
    if (platform) {
      pairs.push(['arch', platform.architecture], ['os', platform.os]);
      if (platform.variant) pairs.push(['variant', platform.variant]);
      if (platform['os.version']) pairs.push(['os-version', platform['os.version']]);
      for (const feature of platform['os.features'] ?? []) pairs.push(['os-feature', feature]);
    }
    const fields: Parameters<typeof pkg>[0] = {
      SPDXID: ociPackageId(d.digest),
      name: d.digest,
      primaryPackagePurpose: 'CONTAINER',
      checksums: [{ algorithm: 'SHA256', checksumValue: hex(d.digest) }],
      purl: ociPurl('image', d.digest, pairs),
    };
    if (platform) fields.versionInfo = formatPlatform(platform);
    packages.push(pkg(fields));
  }
  const first = index.children.find((c) => c.image.kind === 'image')?.image as Image | undefined;
  return document(index.digest, first ? createdOf(first) : GO_ZERO_TIME, packages, relationships);
}

/** `h1:<base64 sha256>` (Go's module hash) as hex; empty when it is not an h1 hash (as ko). */
function h1ToHex(sum: string): string {
  return sum.startsWith('h1:') ? Buffer.from(sum.slice(3), 'base64').toString('hex') : '';
}
