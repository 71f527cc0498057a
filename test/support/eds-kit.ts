// Test and bench kit for elemental maps: a project holding a synthetic SEM image with its EDS maps
// imported through the service, scribbles drawn from the truth, and phase IoU with the best match
// of predicted groups to true phases.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { GrainLabService } from '../../main/service';
import { generateEds, type EdsResult } from '../../app/synth';
import type { ChannelImportResult } from '../../app/contract';
import { Random } from '../../app/synth';

export async function grayPng(w: number, h: number, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await sharp(Buffer.from(data), { raw: { width: w, height: h, channels: 1 } }).png().toBuffer());
}

export interface EdsProject {
  svc: GrainLabService;
  dir: string;
  imageId: number;
  eds: EdsResult;
  imported: ChannelImportResult;
}

/** A fresh project with the synthetic SEM image and its maps ("Fe Ka.png", ...) imported onto it. */
export async function edsProject(seed: number, size = 256, shift?: { x: number; y: number }): Promise<EdsProject> {
  const eds = generateEds({ size, seed, ...(shift ? { shift } : {}) });
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-eds-user-')), binding: 'web' });
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-eds-')), 'p');
  await svc.call('project.create', { path: dir });
  const [im] = (await svc.call('images.importFiles', { files: [{ name: `sem-${seed}.png`, bytes: await grayPng(size, size, eds.image.data) }] })).imported;
  const files = await Promise.all(eds.maps.map(async (m) => ({ name: `${m.element} Ka.png`, bytes: await grayPng(m.width, m.height, m.data) })));
  const imported = await svc.call('channels.importFiles', { imageId: im!.id, files });
  return { svc, dir, imageId: im!.id, eds, imported };
}

/**
 * IoU per true phase (1..P) of a prediction of groups 0..G-1 (255 = none), after matching groups
 * to phases one to one for the best mean IoU (all permutations; G and P are small).
 */
export function matchedPhaseIoU(pred: Uint8Array, truth: Uint8Array, G: number, P: number): { perPhase: number[]; mean: number; groupOf: number[] } {
  const inter = Array.from({ length: G }, () => new Float64Array(P));
  const gArea = new Float64Array(G);
  const pArea = new Float64Array(P);
  for (let i = 0; i < truth.length; i++) {
    const g = pred[i]!;
    const p = truth[i]! - 1;
    if (p >= 0) pArea[p]!++;
    if (g < G) {
      gArea[g]!++;
      if (p >= 0) inter[g]![p]!++;
    }
  }
  const iou = (g: number, p: number) => (g < 0 ? 0 : inter[g]![p]! / (gArea[g]! + pArea[p]! - inter[g]![p]! || 1));
  let best = { mean: -1, groupOf: [] as number[] };
  const perm = (used: Set<number>, acc: number[]) => {
    if (acc.length === P) {
      const mean = acc.reduce((s, g, p) => s + iou(g, p), 0) / P;
      if (mean > best.mean) best = { mean, groupOf: [...acc] };
      return;
    }
    let any = false;
    for (let g = 0; g < G; g++) {
      if (used.has(g)) continue;
      any = true;
      used.add(g);
      perm(used, [...acc, g]);
      used.delete(g);
    }
    if (!any) perm(used, [...acc, -1]);
  };
  perm(new Set(), []);
  return { perPhase: best.groupOf.map((g, p) => iou(g, p)), mean: best.mean, groupOf: best.groupOf };
}

/** Scribbles from the truth: `perPhase` discs of radius r inside each phase (clipped to it); 0 = unlabelled, phase k -> k. */
export function truthScribbles(truth: Uint8Array, w: number, h: number, P: number, perPhase: number, r: number, seed: number): Uint8Array {
  const rng = new Random(seed);
  const labels = new Uint8Array(w * h);
  for (let p = 1; p <= P; p++) {
    let placed = 0;
    for (let tries = 0; placed < perPhase && tries < 100_000; tries++) {
      const cx = rng.int(w);
      const cy = rng.int(h);
      if (truth[cy * w + cx] !== p) continue;
      for (let y = Math.max(0, cy - r); y <= Math.min(h - 1, cy + r); y++) {
        for (let x = Math.max(0, cx - r); x <= Math.min(w - 1, cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r && truth[y * w + x] === p) labels[y * w + x] = p;
      }
      placed++;
    }
  }
  return labels;
}
