// Test support for edit persistence: a project on disk with one image and a saved Voronoi
// segmentation, made directly with the store (no image decoding, no worker).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { segmentStats } from '../../app/labelmap';
import type { LabelMap } from '../../app/types';
import { prng, voronoiMap } from '../support/edit-testkit';
import { ProjectStore, compressLabels } from '../../main/store/project-store';

export interface SegmentedProject {
  dir: string;
  imageId: number;
  map: LabelMap;
}

/** Creates a project with one image whose saved segmentation is a Voronoi map; returns it closed. */
export async function segmentedProject(width = 96, height = 64, cells = 40, seed = 7, emptyFraction = 0.1): Promise<SegmentedProject> {
  const dir = join(mkdtempSync(join(tmpdir(), 'grainlab-edit-')), 'proj');
  const store = ProjectStore.create(dir, 'edit test');
  const [img] = store.insertImages([
    { name: 'voronoi.png', file: 'images/voronoi.png', page: 0, hash: `h${seed}`, width, height, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array() },
  ]);
  const map = voronoiMap(prng(seed), width, height, cells, emptyFraction);
  const segs = segmentStats(map).map((s) => ({ ...s, source: 'auto' as const }));
  store.saveSegmentation(img!.id, map, segs, 'test', await compressLabels(map.data));
  store.close();
  return { dir, imageId: img!.id, map };
}

/** Index of the first differing pixel, or -1. */
export function firstDifference(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
