import {
  appendLayers,
  isDockerMediaType,
  MediaType,
  withAnnotations,
  withConfig,
  type Digest,
  type Image,
  type ImageConfig,
  type Layer,
  type Platform,
} from '@tsko/registry';
import { APP_DIR } from '../layers/binary-layer.js';
import { KODATA_ROOT } from '../layers/kodata-layer.js';
import { isWindows, windowsPath } from '../layers/windows-layout.js';

/** What goes on top of a base to make a ko image. */
export interface KoImageParts {
  base: Image;
  /** Base reference and the digest of the exact base manifest used, for the OCI base annotations. */
  baseName?: string;
  baseDigest?: Digest;
  kodata: Layer;
  binary: Layer;
  /** The Delve layer of a `debug` build: the entrypoint then starts the program under Delve. */
  debugger?: Layer;
  appName: string;
  /** The image's platform; Windows images name paths as `C:\ko-app\<name>`. */
  platform?: Platform;
  importPath: string;
  /** Config `created` (SOURCE_DATE_EPOCH); else the base's stays. */
  created?: Date;
  /** History time of the kodata layer (KO_DATA_DATE_EPOCH). */
  kodataCreated?: Date;
  /** Container user; else inherited from the base. */
  user?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** ko's layer media type rule: new layers match the base manifest's flavour. */
export function layerMediaTypeFor(base: Image): string {
  return isDockerMediaType(base.mediaType) ? MediaType.DOCKER_LAYER_GZIP : MediaType.OCI_LAYER_GZIP;
}

/** Where Delve sits in the image, and how ko starts the program under it (port 40000). */
export const DELVE_PATH = '/ko-app/dlv';
export const DELVE_ARGS = [
  'exec',
  '--listen=:40000',
  '--headless',
  '--log',
  '--accept-multiclient',
  '--api-version=2',
  '--',
] as const;

/** How Go's zero `time.Time` serialises; ko's history entries carry it when no epoch is set. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * `PATH` gains the app folder at the end, or becomes it (ko's updatePath). On Windows the
 * separator is `;`: ko appends with `:` there too, which breaks the last folder of a Windows
 * PATH (README, deliberate differences).
 */
function withAppOnPath(env: readonly string[], appDir: string, separator: string): string[] {
  const out = [...env];
  const i = out.findIndex((e) => e.startsWith('PATH='));
  if (i === -1) out.push(`PATH=${appDir}`);
  else out[i] = `${out[i]}${separator}${appDir}`;
  return out;
}

/**
 * Builds the image ko would: base + kodata layer + binary layer (+ the Delve layer of a debug
 * build; in that order, each with a history entry), Entrypoint `/ko-app/<name>` (under
 * `/ko-app/dlv exec … --` when debugging), Cmd cleared, `/ko-app` on PATH,
 * `KO_DATA_PATH=/var/run/ko` (`C:\ko-app\<name>` and `C:\var\run\ko` on Windows), user and labels, `created`, and the OCI base-image annotations
 * plus the caller's annotations on the manifest (OCI and Docker schema 2 alike, as ko).
 */
export function koImage(parts: KoImageParts): Image {
  const appPath = `${APP_DIR}/${parts.appName}`;
  const createdBy = `tsko build ko://${parts.importPath}`;
  // ko always writes a history time: the zero time of Go's time.Time when no epoch is set.
  const historyTime = (d: Date | undefined) => (d ? rfc3339(d) : GO_ZERO_TIME);
  let image = appendLayers(parts.base, [
    {
      layer: parts.kodata,
      history: {
        author: 'tsko',
        created: historyTime(parts.kodataCreated),
        created_by: createdBy,
        comment: 'kodata contents, at $KO_DATA_PATH',
      },
    },
    {
      layer: parts.binary,
      history: {
        author: 'tsko',
        created: historyTime(parts.created),
        created_by: createdBy,
        comment: `go build output, at ${appPath}`,
      },
    },
    ...(parts.debugger
      ? [
          {
            layer: parts.debugger,
            history: {
              author: 'tsko',
              created: historyTime(parts.created),
              created_by: createdBy,
              comment: `Delve debugger, at ${DELVE_PATH}`,
            },
          },
        ]
      : []),
  ]);
  const windows = isWindows(parts.platform);
  const program = windows ? windowsPath(appPath) : appPath;
  image = withConfig(image, (config): ImageConfig => {
    const container = { ...(config.config ?? {}) };
    container.Entrypoint = parts.debugger ? [DELVE_PATH, ...DELVE_ARGS, program] : [program];
    delete container.Cmd;
    container.Env = windows
      ? [...withAppOnPath(container.Env ?? [], windowsPath(APP_DIR), ';'), `KO_DATA_PATH=${windowsPath(KODATA_ROOT)}`]
      : [...withAppOnPath(container.Env ?? [], APP_DIR, ':'), `KO_DATA_PATH=${KODATA_ROOT}`];
    if (parts.user !== undefined) container.User = parts.user;
    if (parts.labels && Object.keys(parts.labels).length)
      container.Labels = { ...(container.Labels ?? {}), ...parts.labels };
    const next: ImageConfig = { ...config, config: container, author: 'tsko' };
    if (parts.created) next.created = rfc3339(parts.created);
    return next;
  });
  const annotations: Record<string, string> = {};
  // On Docker schema 2 manifests too, as ko writes them (gobuild.go Build/buildAll).
  if (parts.baseName && parts.baseDigest) {
    annotations['org.opencontainers.image.base.name'] = parts.baseName;
    annotations['org.opencontainers.image.base.digest'] = parts.baseDigest;
  }
  Object.assign(annotations, parts.annotations ?? {});
  return Object.keys(annotations).length ? withAnnotations(image, annotations) : image;
}
