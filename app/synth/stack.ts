// Synthetic slice stacks with exact 3D truth: ellipsoidal particles in a matrix, cut into slices
// the way serial sectioning or a tomogram's z planes would show them. Each particle is one 3D
// object id in every slice it reaches, so propagation and 3D linking can be scored per slice and
// per object. Deterministic for a seed.
import type { BitDepth } from '../types';
import { Random } from './random';
import { FULL, blur121, quantise } from './render';
import { checkBitDepth, checkRange, checkSize } from './validate';

export interface StackSynthOptions {
  width?: number;
  height?: number;
  /** Number of slices (default 24). */
  depth?: number;
  seed?: number;
  /** Particles asked for; fewer are placed when they do not fit without touching (default 24). */
  particles?: number;
  /** Semi-axis range of the ellipsoids in pixels (z in slices), default 6..16. */
  minRadius?: number;
  maxRadius?: number;
  bitDepth?: BitDepth;
  /** Detector noise, a fraction of full scale (default 0.04). */
  noise?: number;
}

interface StackParticle {
  id: number;
  centre: { x: number; y: number; z: number };
  radii: { x: number; y: number; z: number };
  /** Voxels the particle covers inside the stack. */
  voxels: number;
}

export interface StackSynthResult {
  width: number;
  height: number;
  depth: number;
  /** One image per slice, z order. */
  slices: (Uint8Array | Uint16Array)[];
  /** The truth per slice: particle id per pixel, 0 = matrix. */
  labels: Uint32Array[];
  particles: StackParticle[];
}

export function generateStack(o: StackSynthOptions = {}): StackSynthResult {
  const width = o.width ?? 256;
  const height = o.height ?? 256;
  const depth = o.depth ?? 24;
  const bitDepth = o.bitDepth ?? 8;
  const seed = o.seed ?? 1;
  const minR = o.minRadius ?? 6;
  const maxR = o.maxRadius ?? 16;
  checkSize(width, height);
  checkRange('depth', depth, 2, 4096);
  checkBitDepth(bitDepth);
  checkRange('minRadius', minR, 2, 1000);
  checkRange('maxRadius', maxR, minR, 1000);
  const rng = new Random(seed);
  const place = rng.fork(1);
  const wanted = o.particles ?? 24;
  const placed: Omit<StackParticle, 'voxels' | 'id'>[] = [];
  // Rejection sampling of non-touching particles (bounding spheres at least 2 px apart).
  for (let tries = 0; placed.length < wanted && tries < wanted * 200; tries++) {
    const radii = { x: place.range(minR, maxR), y: place.range(minR, maxR), z: place.range(minR, maxR) };
    const centre = { x: place.range(0, width), y: place.range(0, height), z: place.range(0, depth) };
    const r = Math.max(radii.x, radii.y, radii.z);
    const clear = placed.every((p) => {
      const d = Math.hypot(p.centre.x - centre.x, p.centre.y - centre.y, p.centre.z - centre.z);
      return d > r + Math.max(p.radii.x, p.radii.y, p.radii.z) + 2;
    });
    // A particle must reach at least one slice plane with some area.
    const z0 = Math.ceil(centre.z - radii.z * 0.7);
    if (clear && z0 < depth && Math.floor(centre.z + radii.z * 0.7) >= 0) placed.push({ centre, radii });
  }
  const particles: StackParticle[] = placed.map((p, i) => ({ ...p, id: i + 1, voxels: 0 }));
  const shade = rng.fork(2);
  const level = particles.map(() => 0.68 + 0.08 * (shade.next() - 0.5));
  const slices: (Uint8Array | Uint16Array)[] = [];
  const labels: Uint32Array[] = [];
  for (let z = 0; z < depth; z++) {
    const lab = new Uint32Array(width * height);
    const clean = new Uint16Array(width * height).fill(Math.round(0.3 * FULL));
    particles.forEach((p, k) => {
      const dz = (z - p.centre.z) / p.radii.z;
      if (Math.abs(dz) >= 1) return;
      const s = Math.sqrt(1 - dz * dz);
      const rx = p.radii.x * s;
      const ry = p.radii.y * s;
      const v = Math.round(level[k]! * FULL);
      for (let y = Math.max(0, Math.floor(p.centre.y - ry)); y <= Math.min(height - 1, Math.ceil(p.centre.y + ry)); y++) {
        for (let x = Math.max(0, Math.floor(p.centre.x - rx)); x <= Math.min(width - 1, Math.ceil(p.centre.x + rx)); x++) {
          const ex = (x - p.centre.x) / rx;
          const ey = (y - p.centre.y) / ry;
          if (ex * ex + ey * ey >= 1) continue;
          const i = y * width + x;
          lab[i] = p.id;
          clean[i] = v;
          p.voxels++;
        }
      }
    });
    blur121(clean, width, height);
    slices.push(quantise(clean, bitDepth, o.noise ?? 0.04, seed * 7919 + z));
    labels.push(lab);
  }
  // Particles that reached no pixel are not objects of the truth.
  const kept = particles.filter((p) => p.voxels > 0);
  return { width, height, depth, slices, labels, particles: kept };
}
