// Image handlers: import (files or paths), list, thumbnails, raw pixels, calibration.
import { pruneFeatureCache } from '../learn/feature-cache';
import { writeFile, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { ImportResult } from '../../app/contract';
import { resolveChosenPath, resolveInside } from '../fs/contain';
import { storageError } from '../fs/storage-errors';
import { ServiceError } from '../../app/errors';
import type { ImageRecord, RasterImage } from '../../app/types';
import { IMAGES_DIR, type NewImage, type ProjectStore } from '../store/project-store';
import { probeImage, decodePages, decodeImage, makeThumbnail, contentHash, extensionFor, overPixelLimit, tiledThumbnail } from '../images/io';
import { readRegularFile } from '../fs/read';
import { readProjectImage } from '../images/stored';
import { callerSignal } from '../jobs/call-context';
import { defaultPoolSize, runPool } from '../jobs/pool';
import { MAX_IMAGE_FILE_BYTES } from '../../app/limits';
import type { Handlers, ServiceContext } from './context';
import type { DetectedCalibration } from '../../app/calibration/vendors';
import { detectCalibration } from '../calibration/detect';
import { applyDetected, forgetCalibration, projectDefault, setCalibration } from '../calibration/store';

type ImageMethods = 'images.list' | 'images.importFiles' | 'images.importPaths' | 'images.thumbnail' | 'images.pixels' | 'images.setPixelSize' | 'images.remove';

export function imageHandlers(ctx: ServiceContext): Handlers<ImageMethods> {
  return {
    'images.list': (a) => (a.afterId === undefined && a.limit === undefined ? ctx.project().listImages() : ctx.project().listImagesPage(a.afterId ?? 0, a.limit ?? 1000)),
    'images.importFiles': (a) => importFiles(ctx, a.files.map((f) => ({ name: basename(f.name), path: null, load: async () => f.bytes }))),
    'images.importPaths': (a) => {
      // Every path is checked before anything is imported.
      const paths = a.paths.map((p) => resolveChosenPath(p, 'image file', ctx.currentProject()?.dir ?? null));
      const signal = callerSignal();
      return importFiles(ctx, paths.map((p) => ({ name: basename(p), path: p, load: () => readRegularFile(p, { what: 'image file', maxBytes: MAX_IMAGE_FILE_BYTES, signal }) })));
    },
    'images.thumbnail': (a) => ({ png: ctx.project().thumbnail(a.id) }),
    'images.pixels': (a) => loadPixels(ctx.project(), a.id),
    'images.setPixelSize': (a) => {
      const store = ctx.project();
      setCalibration(store, a.id, a.umPerPx, 'typed');
      return store.getImage(a.id);
    },
    'images.remove': async (a) => {
      const store = ctx.project();
      for (const id of a.ids) store.getImage(id);
      // Jobs already running skip images that are gone (store.hasImage) when they reach them.
      const files = store.removeImages(a.ids);
      for (const id of a.ids) forgetCalibration(store, id);
      pruneFeatureCache(store);
      for (const imageId of a.ids) ctx.emit('onDidChangeImage', { imageId, reason: 'removed' });
      return { removed: a.ids.length, files: files.length };
    },
  };
}

/**
 * Imports files. Up to a pool's worth of files are read, decoded and thumbnailed at once
 * (main/jobs/pool.ts); each is then committed in the order given: copied into the project's
 * images/ folder (named by its content hash) and its pages inserted in one transaction. A bad
 * file is reported in `failed` and leaves the project as it was. Already-imported content is not
 * duplicated.
 */
export async function importFiles(ctx: ServiceContext, files: { name: string; path: string | null; load: () => Promise<Uint8Array> }[]): Promise<ImportResult> {
  const store = ctx.project();
  store.assertWritable();
  // The caller's signal: an import stops between pages when the client that asked has gone.
  const signal = callerSignal();
  const fallbackUm = projectDefault(store);
  const result: ImportResult = { imported: [], existing: [], failed: [] };
  const stopped = () => new ServiceError('cancelled', `Import stopped: the window that asked for it was closed. ${result.imported.length} image(s) were imported before that and are kept.`);
  // Commits happen in input order, so image ids follow the order of the files.
  const turns = files.map(() => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  });
  const myTurn = (i: number) => (i === 0 ? Promise.resolve() : turns[i - 1]!.promise);
  try {
    await runPool(files, { size: ctx.options.workers ?? defaultPoolSize(), ...(signal ? { signal } : {}), name: (f) => f.name }, async (f, i) => {
      let stored: string | null = null;
      let partial: string | null = null;
      try {
        const bytes = await f.load();
        const probed = await probeImage(bytes, f.name, { tiled: true });
        const hash = contentHash(bytes);
        const existingNow = () => probed.pages.map((p) => store.findImageByHash(hash, p.page));
        const alreadyAll = (existing: (ImageRecord | null)[]) => {
          if (!existing.every((e) => e !== null)) return false;
          // The same content is already here: say which image it is instead of importing it again.
          for (const im of existing as ImageRecord[]) result.existing.push({ name: f.name, image: im });
          return true;
        };
        let existing = existingNow();
        if (existing.every((e) => e !== null)) {
          await myTurn(i);
          alreadyAll(existing);
          return;
        }
        // Stored under the extension of what the file is, whatever it was called (a TIFF named .png).
        const file = `${IMAGES_DIR}/${hash.slice(0, 16)}${extensionFor(probed.format)}`;
        const abs = resolveInside(store.dir, file, 'image file');
        const rows: (NewImage & { detected: DetectedCalibration | null })[] = [];
        const multi = probed.pages.length > 1;
        const only = probed.pages[0]!;
        if (probed.pages.length === 1 && overPixelLimit(only.width, only.height) && !existing[0]) {
          // A mosaic over the limit: viewed and edited tile by tile (main/tiles/), never decoded whole.
          const detected = await detectCalibration(bytes, 0, { path: f.path, width: only.width, format: probed.format, resolutionUm: only.pixelSizeUm });
          rows.push({ name: f.name, file, page: 0, hash, width: only.width, height: only.height, channels: only.channels >= 3 ? 3 : 1, bitDepth: only.bitDepth, pixelSizeUm: detected?.umPerPx ?? fallbackUm, thumbnail: await tiledThumbnail(bytes, f.name), detected });
        } else await decodePages(
          bytes,
          f.name,
          probed,
          async (page, raster) => {
            if (existing[page]) return;
            // The microscope's own pixel size (vendor tags, sidecar), else the resolution tags.
            const detected = await detectCalibration(bytes, page, { path: f.path, width: raster.width, format: probed.format, resolutionUm: probed.pages[page]!.pixelSizeUm });
            rows.push({
              name: multi ? `${f.name} [page ${page + 1}]` : f.name,
              file,
              page,
              hash,
              width: raster.width,
              height: raster.height,
              channels: raster.channels,
              bitDepth: raster.bitDepth,
              pixelSizeUm: detected?.umPerPx ?? fallbackUm,
              thumbnail: await makeThumbnail(raster),
              detected,
            });
          },
          signal,
        );
        await myTurn(i);
        if (signal?.aborted) throw stopped();
        // An earlier file of this import may have brought the same content.
        existing = existingNow();
        if (alreadyAll(existing)) return;
        const fresh = rows.filter((r) => !existing[r.page]);
        if (!existsSync(abs)) {
          // Write beside, then rename: a crash never leaves a half-written image under its final name.
          partial = `${abs}.part`;
          await writeFile(partial, bytes);
          await rename(partial, abs);
          partial = null;
          stored = abs;
        }
        const inserted = store.db.transaction(() => {
          const ims = store.insertImages(fresh.map(({ detected: _d, ...row }) => row));
          ims.forEach((im, k) => {
            const d = fresh[k]!.detected;
            if (d) applyDetected(store, im.id, d);
            else if (fallbackUm !== null) setCalibration(store, im.id, fallbackUm, 'project-default');
          });
          return ims.map((im) => store.getImage(im.id));
        })();
        stored = null;
        result.imported.push(...inserted);
        for (const im of inserted) ctx.emit('onDidChangeImage', { imageId: im.id, reason: 'imported' });
      } catch (e) {
        // Nothing half-written stays behind (on a full disk, the part file holds space too).
        for (const leftover of [stored, partial]) if (leftover) await rm(leftover, { force: true }).catch(() => {});
        if (e instanceof ServiceError && e.code === 'cancelled') throw e;
        // A full or read-only project disk is said as such, not as a bad image.
        const disk = storageError(e, store.dir);
        const message = disk ? `${f.name}: ${disk.message}` : e instanceof ServiceError ? e.message : `${f.name}: ${(e as Error).message}`;
        await myTurn(i);
        result.failed.push({ name: f.name, message });
      } finally {
        // The next file's commit waits for this one's, whatever happened here.
        void myTurn(i).then(() => turns[i]!.resolve());
      }
    });
  } catch (e) {
    // The pool stopped before any file noticed: say what was kept.
    if (e instanceof ServiceError && e.code === 'cancelled' && e.message === 'Cancelled.') throw stopped();
    throw e;
  }
  return result;
}

/** Decodes an image's stored file to raw pixels (16-bit kept). */
export async function loadPixels(store: ProjectStore, id: number): Promise<RasterImage> {
  const im = store.getImage(id);
  return decodeImage(await readProjectImage(store.dir, im), im.name, im.page);
}
