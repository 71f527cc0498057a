// Shared by the export/import/measurement tests and the export benchmark: synthetic label maps with
// known geometry and projects built straight through the store (images, segmentations, classes).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { GrainLabService } from '../../main/service';
import { ProjectStore, compressLabels, IMAGES_DIR } from '../../main/store/project-store';
import { ensureClass } from '../../main/store/export-queries';
import { contentHash } from '../../main/images/io';
import { segmentStats } from '../../app/labelmap';
import type { ProgressEvent } from '../../app/contract';
import type { ImageStatus } from '../../app/types';
import { seededRandom as rng } from '../../app/random';

export function tempDir(prefix = 'gl-export-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function newService(): GrainLabService {
  return new GrainLabService({ userDataDir: tempDir('gl-user-'), binding: 'web', version: '0.1.0-test' });
}

/** Resolves with the job's last event (done, failed or cancelled). Subscribe before the job can end. */
export function jobEnd(svc: GrainLabService, jobId: string): Promise<ProgressEvent> {
  return new Promise((resolve) => {
    const off = svc.on('onDidProgress', (e) => {
      if (e.jobId === jobId && e.state !== 'running') {
        off();
        resolve(e);
      }
    });
  });
}

/** Starts a job method and waits for it; throws when it does not end 'done'. */
export async function runToEnd(svc: GrainLabService, start: () => Promise<{ jobId: string }>): Promise<string> {
  const seen: ProgressEvent[] = [];
  const off = svc.on('onDidProgress', (e) => seen.push(e));
  try {
    const { jobId } = await start();
    const end = seen.find((e) => e.jobId === jobId && e.state !== 'running') ?? (await jobEnd(svc, jobId));
    if (end.state !== 'done') throw new Error(`job ${end.title} ended ${end.state}: ${end.message ?? ''}`);
    return jobId;
  } finally {
    off();
  }
}

/** Grain map of nearest jittered grid seeds (one seed per cell x cell), ids 1..n, every pixel a grain. */
export function voronoi(w: number, h: number, cell: number, seed = 1): Uint32Array {
  const r = rng(seed);
  const gx = Math.ceil(w / cell);
  const gy = Math.ceil(h / cell);
  const sx = new Float64Array(gx * gy);
  const sy = new Float64Array(gx * gy);
  for (let j = 0; j < gy; j++)
    for (let i = 0; i < gx; i++) {
      sx[j * gx + i] = (i + 0.15 + 0.7 * r()) * cell;
      sy[j * gx + i] = (j + 0.15 + 0.7 * r()) * cell;
    }
  const d = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) {
    const cy = Math.floor(y / cell);
    for (let x = 0; x < w; x++) {
      const cx = Math.floor(x / cell);
      let best = 0;
      let bd = Infinity;
      for (let j = Math.max(0, cy - 1); j <= Math.min(gy - 1, cy + 1); j++)
        for (let i = Math.max(0, cx - 1); i <= Math.min(gx - 1, cx + 1); i++) {
          const k = j * gx + i;
          const dd = (sx[k]! - x) ** 2 + (sy[k]! - y) ** 2;
          if (dd < bd) {
            bd = dd;
            best = k + 1;
          }
        }
      d[y * w + x] = best;
    }
  }
  return d;
}

/** A grid of side x side squares shifted by `offset` px (so border squares are cut), ids 1..n row by row. */
export function squares(w: number, h: number, side: number, offset = 0): Uint32Array {
  const cols = Math.ceil((w + offset) / side);
  const d = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[y * w + x] = Math.floor((y + offset) / side) * cols + Math.floor((x + offset) / side) + 1;
  return d;
}

/** Discs of radius r centred on a grid with the given pitch, ids 1..n; background 0. */
export function discs(w: number, h: number, pitch: number, r: number): Uint32Array {
  const d = new Uint32Array(w * h);
  let id = 0;
  for (let cy = pitch / 2; cy + r <= h; cy += pitch)
    for (let cx = pitch / 2; cx + r <= w; cx += pitch) {
      id++;
      for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++)
        for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) {
          if (x < 0 || y < 0 || x >= w || y >= h) continue;
          if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) d[y * w + x] = id;
        }
    }
  return d;
}

export interface KitImage {
  name: string;
  width: number;
  height: number;
  labels: Uint32Array;
  /** Class name per segment id (absent: no class). */
  classOf?: (id: number) => string | null;
  /** Which segments a person verified. */
  verified?: (id: number) => boolean;
  pixelSizeUm?: number | null;
  status?: ImageStatus;
  engine?: string;
}

/** Grey micrograph stand-in: each grain its own level, so the image matches its labels. */
export function greyFor(labels: Uint32Array): Uint8Array {
  const g = new Uint8Array(labels.length);
  for (let i = 0; i < g.length; i++) g[i] = labels[i] ? 60 + ((labels[i]! * 53) % 180) : 20;
  return g;
}

/**
 * Creates a project in `dir` with these images (PNG files in images/), their segmentations and
 * classes, directly through the store, then closes it so a service can open it.
 */
export async function makeProject(dir: string, images: KitImage[], classes: { name: string; color: string }[] = []): Promise<void> {
  const store = ProjectStore.create(dir, 'export test');
  try {
    const classId = new Map<string, number>();
    for (const c of classes) classId.set(c.name, ensureClass(store, c.name, c.color).record.id);
    for (const im of images) {
      const png = new Uint8Array(await sharp(greyFor(im.labels), { raw: { width: im.width, height: im.height, channels: 1 } }).png({ compressionLevel: 1 }).toBuffer());
      const hash = contentHash(Buffer.concat([png, Buffer.from(im.name)]));
      const file = `${IMAGES_DIR}/${hash.slice(0, 16)}.png`;
      writeFileSync(join(dir, file), png);
      const [rec] = store.insertImages([
        { name: im.name, file, page: 0, hash, width: im.width, height: im.height, channels: 1, bitDepth: 8, pixelSizeUm: im.pixelSizeUm ?? null, thumbnail: new Uint8Array(0) },
      ]);
      const labels = { width: im.width, height: im.height, data: im.labels };
      const segs = segmentStats(labels).map((s) => {
        const name = im.classOf?.(s.id) ?? null;
        if (name !== null && !classId.has(name)) classId.set(name, ensureClass(store, name, null).record.id);
        return { ...s, source: 'auto' as const, classId: name === null ? null : classId.get(name)!, verified: im.verified?.(s.id) ?? false };
      });
      store.saveSegmentation(rec!.id, labels, segs, im.engine ?? 'classic', await compressLabels(im.labels), im.status ?? 'auto-segmented');
    }
  } finally {
    store.close();
  }
}

/** Same images without segmentations (the "other machine" a dataset is imported into). */
export async function makeBareProject(dir: string, images: Pick<KitImage, 'name' | 'width' | 'height' | 'labels'>[]): Promise<void> {
  const store = ProjectStore.create(dir, 'import test');
  try {
    for (const im of images) {
      const png = new Uint8Array(await sharp(greyFor(im.labels), { raw: { width: im.width, height: im.height, channels: 1 } }).png({ compressionLevel: 1 }).toBuffer());
      const hash = contentHash(Buffer.concat([png, Buffer.from(im.name)]));
      const file = `${IMAGES_DIR}/${hash.slice(0, 16)}.png`;
      writeFileSync(join(dir, file), png);
      store.insertImages([{ name: im.name, file, page: 0, hash, width: im.width, height: im.height, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array(0) }]);
    }
  } finally {
    store.close();
  }
}
