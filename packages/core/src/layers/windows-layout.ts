import type { Platform } from '@tsko/registry';

/**
 * Windows container layers keep the filesystem under `Files/` and registry hives under
 * `Hives/`; a Windows image's `C:\x` is the layer's `Files/x`. ko writes both folders first
 * in every layer it makes for a Windows base, and so do we.
 */
export const WINDOWS_LAYER_DIRS = ['Hives', 'Files'] as const;

/**
 * The security descriptor ko gives every file it puts in a Windows image (owner and group
 * BUILTIN\Users, SDDL `O:BUG:BU`), as the value of the `MSWINDOWS.rawsd` PAX record: without
 * it Windows refuses to execute the binary. The record's value is this base64 text itself.
 */
const USERS_OWNER_AND_GROUP_SID = 'AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==';

export const WINDOWS_FILE_PAX: Readonly<Record<string, Uint8Array>> = {
  'MSWINDOWS.rawsd': Buffer.from(USERS_OWNER_AND_GROUP_SID),
};

export const isWindows = (platform: Platform | undefined): boolean => platform?.os === 'windows';

/** `/ko-app/x` in the image as the path inside a Windows layer: `Files/ko-app/x`. */
export const windowsLayerPath = (imagePath: string): string => `Files${imagePath}`;

/** `/ko-app/x` as Windows names it in the config: `C:\ko-app\x`. */
export const windowsPath = (imagePath: string): string => `C:${imagePath.replaceAll('/', '\\')}`;
