// Reading the image files a project stores: inside the project folder (a link out is refused),
// regular files only, within the size limit, with a message that says how to restore a lost one.
import type { ImageRecord } from '../../app/types';
import { ServiceError } from '../../app/errors';
import { MAX_IMAGE_FILE_BYTES } from '../../app/limits';
import { resolveInside } from '../fs/contain';
import { readRegularFile } from '../fs/read';

/** The bytes of an image's stored file. `dir` is the project folder. */
export async function readProjectImage(dir: string, im: Pick<ImageRecord, 'file' | 'name'>, signal?: AbortSignal): Promise<Uint8Array> {
  const abs = resolveInside(dir, im.file, 'image file');
  try {
    return await readRegularFile(abs, { what: 'image file', maxBytes: MAX_IMAGE_FILE_BYTES, within: dir, ...(signal ? { signal } : {}) });
  } catch (e) {
    if (e instanceof ServiceError && e.code === 'not-found') {
      throw new ServiceError('not-found', `The image file ${abs} is missing from the project. Restore it from a backup or re-import ${im.name}.`, abs);
    }
    throw e;
  }
}

/** The format of image bytes from their signature, or null: what a stored file really is, whatever its name says. */
export function sniffImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | 'tiff' | null {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && (b[2] === 42 || b[2] === 43) && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && (b[3] === 42 || b[3] === 43)))) return 'tiff';
  return null;
}
