// Service handlers of slice stacks: making and importing stacks, propagation, 3D objects and
// statistics, 3D export.
import { open, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { stackMethods } from '../../app/contract/stacks';
import { ServiceError } from '../../app/errors';
import type { ImageRecord } from '../../app/types';
import { naturalOrder } from '../../app/stack/order';
import { imageJSpacingUm } from '../../app/stack/imagej';
import { latin1 } from '../../app/calibration/vendors';
import { readTiffTags } from '../calibration/tiff-tags';
import { DEFAULT_LINK_OVERLAP, linkSlices } from '../../app/stack/link';
import { stackStats } from '../../app/stack/stats';
import { MAX_IMAGE_FILE_BYTES } from '../../app/limits';
import { resolveChosenPath } from '../fs/contain';
import { readRegularFile } from '../fs/read';
import { callerSignal } from '../jobs/call-context';
import { importFiles } from '../handlers/images';
import type { Handlers, ServiceContext } from '../handlers/context';
import type { SamPrompting } from '../sam/prompting';
import { createStack, getStack, listStacks, removeStack, saveStackObjects, setStackSpacing, stackOfImage } from '../store/stacks';
import { startPropagation, type PredictImages } from './propagate';
import { readSlices } from './slices';
import { exportStack } from './export';

type StackMethods = keyof typeof stackMethods;

const SLICE_EXTENSIONS = new Set(['.tif', '.tiff', '.png', '.jpg', '.jpeg', '.bmp', '.webp']);

export function stackHandlers(ctx: ServiceContext, sam: SamPrompting, predict: PredictImages): Handlers<StackMethods> {
  return {
    'stacks.list': () => listStacks(ctx.project()),
    'stacks.ofImage': (a) => {
      ctx.project().getImage(a.imageId);
      return stackOfImage(ctx.project(), a.imageId);
    },
    'stacks.create': (a) => createStack(ctx.project(), a.name, a.imageIds, a.spacingUm ?? null),
    'stacks.importPaths': (a) => importStack(ctx, a.paths, a.name, a.spacingUm ?? null),
    'stacks.setSpacing': (a) => setStackSpacing(ctx.project(), a.stackId, a.spacingUm),
    'stacks.remove': (a) => {
      removeStack(ctx.project(), a.stackId);
      return null;
    },
    'stacks.propagate': (a) => startPropagation(ctx, sam, predict, a),
    'stacks.stats': async (a) => {
      const store = ctx.project();
      const stack = getStack(store, a.stackId);
      const slices = await readSlices(ctx, stack.imageIds);
      const links = linkSlices(slices.map((s) => s.labels), a.minOverlap ?? DEFAULT_LINK_OVERLAP);
      if (!store.readOnly) saveStackObjects(store, stack.imageIds, links.objectOf);
      const pixelSizeUm = store.getImage(stack.imageIds[0]!).pixelSizeUm;
      return { stackId: stack.id, pixelSizeUm, spacingUm: stack.spacingUm, ...stackStats(slices, links, { pixelSizeUm, spacingUm: stack.spacingUm }) };
    },
    'stacks.export': (a) => exportStack(ctx, a.stackId, resolveChosenPath(a.dir, 'export folder')),
  };
}

/** The slice files of the paths given: a folder's image files in natural name order, files as given. */
async function sliceFiles(paths: readonly string[], projectDir: string | null): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolveChosenPath(p, 'slice file or folder', projectDir);
    if ((await stat(abs).catch(() => null))?.isDirectory()) {
      const names = (await readdir(abs)).filter((n) => SLICE_EXTENSIONS.has(extname(n).toLowerCase()) && !n.startsWith('.'));
      if (names.length === 0) throw new ServiceError('invalid-argument', `The folder ${abs} holds no image files (TIFF, PNG, JPEG) to make slices of.`, abs);
      out.push(...naturalOrder(names).map((n) => join(abs, n)));
    } else out.push(abs);
  }
  const seen = new Set<string>();
  for (const f of out) {
    const n = basename(f);
    if (seen.has(n)) throw new ServiceError('invalid-argument', `Two slices are named ${n}; give each slice file its own name so their order is clear.`, f);
    seen.add(n);
  }
  return out;
}

async function importStack(ctx: ServiceContext, paths: readonly string[], name: string | undefined, spacingUm: number | null) {
  const store = ctx.project();
  const files = await sliceFiles(paths, store.dir);
  const signal = callerSignal();
  const result = await importFiles(ctx, files.map((p) => ({ name: basename(p), path: p, load: () => readRegularFile(p, { what: 'slice file', maxBytes: MAX_IMAGE_FILE_BYTES, signal }) })));
  if (result.failed.length > 0) {
    throw new ServiceError('bad-image', `No stack was made: ${result.failed.length} slice(s) could not be imported (${result.failed.map((f) => f.message).join('; ')}). The other slices were imported as single images.`);
  }
  // z order: files in the order given (a folder's in natural order), a multi-page file's pages in page order.
  const images: ImageRecord[] = [];
  for (const f of files) {
    const n = basename(f);
    const mine = [...result.imported.filter((im) => im.name === n || im.name.startsWith(`${n} [page `)), ...result.existing.filter((e) => e.name === n).map((e) => e.image)];
    images.push(...mine.sort((p, q) => p.page - q.page));
  }
  const stackName = name ?? (files.length === 1 ? basename(files[0]!) : basename(paths[0]!));
  const spacing = spacingUm ?? (files.length === 1 ? await fijiSpacing(files[0]!) : null);
  try {
    const stack = createStack(store, stackName, images.map((im) => im.id), spacing);
    return { stack, import: result };
  } catch (e) {
    if (!(e instanceof ServiceError) || e.code !== 'invalid-argument') throw e;
    throw new ServiceError('invalid-argument', `No stack was made: ${e.message} The ${images.length} slice(s) were imported as single images; make a stack of those of one size (grainlab stack import with those files) or crop the others to that size.`);
  }
}

/** The slice spacing a Fiji/ImageJ stack wrote into its first page's description (read from the file's head). */
async function fijiSpacing(file: string): Promise<number | null> {
  try {
    const fh = await open(file, 'r');
    try {
      // ImageJ writes the first IFD and its description at the start of the file.
      const head = new Uint8Array(1024 * 1024);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      const desc = readTiffTags(head.subarray(0, bytesRead), 0, new Set([270]))?.tags.get(270);
      return desc ? imageJSpacingUm(latin1(desc.bytes)) : null;
    } finally {
      await fh.close();
    }
  } catch {
    return null; // no spacing is no error: it can be set later
  }
}
