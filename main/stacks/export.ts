// 3D export of a slice stack: a multi-page label TIFF (one page per slice, pixel = 3D object id,
// 16-bit when the ids fit, else 32-bit, with ImageJ's header: z-stack, µm calibration and slice
// spacing when known, so Fiji opens it as a z-stack),
// and one COCO file with every slice as an image (its z) and every segment as an annotation
// carrying its 3D object id (`track_id`, as video-instance datasets name it, and grainlab.objectId).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackExportResult } from '../../app/contract/stacks';
import { linkSlices, objectLabels } from '../../app/stack/link';
import { createCocoBuilder } from '../../app/export/coco';
import { makeDirs } from '../fs/dirs';
import { encodeTiffPages, type TiffRaster } from '../export/tiff';
import type { ServiceContext } from '../handlers/context';
import { getStack, saveStackObjects } from '../store/stacks';
import { readSlices } from './slices';

/** A file-name-safe form of a stack's name. */
function stem(name: string): string {
  return name.replace(/\.[a-z0-9]+$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'stack';
}

export async function exportStack(ctx: ServiceContext, stackId: number, dir: string): Promise<StackExportResult> {
  const store = ctx.project();
  const stack = getStack(store, stackId);
  const slices = await readSlices(ctx, stack.imageIds);
  const links = linkSlices(slices.map((s) => s.labels));
  if (!store.readOnly) saveStackObjects(store, stack.imageIds, links.objectOf);
  await makeDirs(dir, 'export folder');
  const wide = links.objectCount > 65535;
  const pixelSizeUm = store.getImage(stack.imageIds[0]!).pixelSizeUm;
  const pages: TiffRaster[] = slices.map((s, z) => {
    const ids = objectLabels(s.labels, links.objectOf[z]!);
    return { width: s.labels.width, height: s.labels.height, channels: 1, bitDepth: wide ? 32 : 16, data: wide ? ids : Uint16Array.from(ids) };
  });
  // ImageJ's header on the first page: Fiji opens the file as a z-stack, calibrated when it can be.
  const calibrated = pixelSizeUm !== null && stack.spacingUm !== null;
  pages[0]!.description = `ImageJ=1.11a\nimages=${pages.length}\nslices=${pages.length}\n${calibrated ? `unit=micron\nspacing=${stack.spacingUm}\n` : ''}loop=false\n`;
  if (calibrated) for (const p of pages) p.pixelsPerUnit = 1 / pixelSizeUm;
  const base = stem(stack.name);
  const tiff = join(dir, `${base}-objects.tif`);
  await writeFile(tiff, encodeTiffPages(pages));
  const builder = createCocoBuilder(store.listClasses(), { segmentation: 'rle', edgeGrains: 'include', info: { description: `GrainLab stack ${stack.name}: ${slices.length} slices` } });
  slices.forEach((s, z) => {
    const im = store.getImage(stack.imageIds[z]!);
    const segments = store.listSegments(im.id).map((r) => ({ id: r.id, classId: r.classId, source: r.source, verified: r.verified, clusterId: r.clusterId }));
    builder.addImage({ id: im.id, fileName: im.name, labels: s.labels, segments, pixelSizeUm: im.pixelSizeUm });
  });
  const { dataset } = builder.finish();
  const zOf = new Map(stack.imageIds.map((id, z) => [id, z]));
  const coco = {
    ...dataset,
    grainlab: { stack: { name: stack.name, spacingUm: stack.spacingUm, slices: slices.length, objects: links.objectCount } },
    images: dataset.images.map((im) => ({ ...im, grainlab: { ...im.grainlab, z: zOf.get(im.id) } })),
    annotations: dataset.annotations.map((an) => {
      const objectId = links.objectOf[zOf.get(an.image_id)!]?.get(an.grainlab?.segmentId ?? 0) ?? null;
      return { ...an, track_id: objectId, grainlab: { ...an.grainlab, objectId } };
    }),
  };
  const cocoFile = join(dir, `${base}-coco.json`);
  await writeFile(cocoFile, JSON.stringify(coco));
  return { tiff, coco: cocoFile, objects: links.objectCount, slices: slices.length };
}
