import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSystemError, formatPlatform, type Image, type ImageIndex, type Platform } from '@tsko/registry';
import { imageSpdx, indexSpdx } from './spdx.js';

/** An SBOM made for one image or index of a build, not yet attached anywhere. */
export interface SbomDocument {
  subject: Image | ImageIndex;
  /** File name stem: `<app>-<os>-<arch>` or `<app>-index`. */
  name: string;
  document: Buffer;
}

/** What the SBOMs of a build describe (a build result has this shape). */
export interface SbomSubjects {
  appName: string;
  image: Image | ImageIndex;
  platforms: readonly { platform: Platform; image: Image; buildInfo: string }[];
}

/** ko's SBOMs: one per platform image (`<app>-<os>-<arch>`), one for an index (`<app>-index`). */
export function sbomDocuments(built: SbomSubjects): SbomDocument[] {
  const docs: SbomDocument[] = built.platforms.map((p) => ({
    subject: p.image,
    name: `${built.appName}-${formatPlatform(p.platform).replace(/[/:]/g, '-')}`,
    document: imageSpdx(p.image, p.buildInfo),
  }));
  if (built.image.kind === 'index')
    docs.push({ subject: built.image, name: `${built.appName}-index`, document: indexSpdx(built.image) });
  return docs;
}

/** Writes each SBOM as `<name>.spdx.json` into `dir` (options.sbomDir). */
export async function writeSbomFiles(dir: string, docs: readonly SbomDocument[]): Promise<void> {
  await mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw fileSystemError(err, 'options.sbomDir', dir);
  });
  for (const doc of docs) {
    const file = join(dir, `${doc.name}.spdx.json`);
    await writeFile(file, doc.document).catch((err: unknown) => {
      throw fileSystemError(err, 'SBOM file (options.sbomDir)', file);
    });
  }
}
