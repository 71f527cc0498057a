// Service handlers: segmentation presets, the settings a segmentation was made with, and the
// live preview of classic settings on a region of an image.
import type { presetMethods } from '../../app/contract/presets';
import { ServiceError } from '../../app/errors';
import type { RasterImage } from '../../app/types';
import { parsePresetFile, serializePresets } from '../../app/presets';
import { clampRegion, previewScale, regionRaster, scaleSettings } from '../../app/classic/preview';
import type { Handlers, ServiceContext } from './context';
import { deletePreset, freePresetName, listPresets, savePreset, segmentationSettings } from '../presets/store';
import { PreviewWorker } from '../jobs/preview-worker';
import { loadPixels } from './images';

type PresetMethods = keyof typeof presetMethods;

export function presetHandlers(ctx: ServiceContext): Handlers<PresetMethods> {
  // The decoded pixels of the image last previewed: moving the view or changing a setting
  // re-segments a region without decoding the file again.
  let cached: { imageId: number; hash: string; raster: Promise<RasterImage> } | null = null;
  const worker = new PreviewWorker();
  ctx.onProjectClose(() => {
    cached = null;
    worker.dispose();
  });

  return {
    'presets.list': () => listPresets(ctx.project()),
    'presets.save': (a) => savePreset(ctx.project(), { name: a.name, description: a.description, engine: 'classic', settings: a.settings }),
    'presets.delete': (a) => deletePreset(ctx.project(), a.name),
    'presets.export': (a) => {
      const all = listPresets(ctx.project());
      if (a.names) {
        const missing = a.names.filter((n) => !all.some((p) => p.name === n));
        if (missing.length) throw new ServiceError('not-found', `No preset named ${missing.map((n) => `'${n}'`).join(', ')} in this project.`);
      }
      return { json: serializePresets(a.names ? all.filter((p) => a.names!.includes(p.name)) : all) };
    },
    'presets.import': (a) => {
      const store = ctx.project();
      let presets;
      try {
        presets = parsePresetFile(a.json, 'The presets file', a.name);
      } catch (e) {
        throw new ServiceError('invalid-argument', (e as Error).message);
      }
      const existing = new Set(listPresets(store).map((p) => p.name));
      const imported: string[] = [];
      const skipped: string[] = [];
      store.db.transaction(() => {
        for (const p of presets) {
          let name = p.name;
          if (existing.has(name)) {
            if (a.ifExists === 'skip') {
              skipped.push(name);
              continue;
            }
            if (a.ifExists === 'rename') name = freePresetName(store, name);
          }
          savePreset(store, { ...p, name });
          existing.add(name);
          imported.push(name);
        }
      })();
      return { imported, skipped };
    },
    'segmentation.settings': (a) => {
      const store = ctx.project();
      store.getImage(a.imageId);
      return segmentationSettings(store, a.imageId);
    },
    'segment.preview': async (a) => {
      const store = ctx.project();
      const im = store.getImage(a.imageId);
      const region = clampRegion(a.region, im.width, im.height);
      if (!region) throw new ServiceError('invalid-argument', `The preview region lies outside ${im.name} (${im.width} x ${im.height} px).`);
      if (!cached || cached.imageId !== im.id || cached.hash !== im.hash) {
        cached = { imageId: im.id, hash: im.hash, raster: loadPixels(store, im.id) };
        cached.raster.catch(() => (cached = null));
      }
      const raster = await cached.raster;
      const scale = previewScale(region, a.maxSide);
      const input = regionRaster(raster, region, scale);
      // Latest wins: a preview waiting behind a running one is dropped when a newer one comes.
      const r = await worker.run(input, scaleSettings(a.classic, scale));
      return {
        imageId: im.id,
        region,
        scale,
        width: r.labels.width,
        height: r.labels.height,
        labels: r.labels.data,
        segments: r.stats.length,
        thresholds: r.classic?.thresholds ?? [],
        ...(r.classic?.boundaryStyle ? { boundaryStyle: r.classic.boundaryStyle } : {}),
        ms: r.ms,
      };
    },
  };
}
