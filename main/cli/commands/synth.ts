// `grainlab synth`: writes seeded synthetic micrographs with exact ground truth (app/synth), as a
// labelled folder (images/ + labels/) that `grainlab eval` and `grainlab import` read.
import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { makeDirs } from '../../fs/dirs';
import { join, resolve } from 'node:path';
import { ServiceError } from '../../../app/errors';
import { generateGrains, generatePhases, type PhaseStructure } from '../../../app/synth';
import { encodePng } from '../../export/png';
import { generateStack } from '../../../app/synth/stack';
import { encodeTiffPages } from '../../export/tiff';
import { ProgressWriter } from '../common';
import { writeEdsSet } from './synth-eds';

interface SynthOptions {
  kind: 'grains' | 'phases';
  count: string;
  size: string;
  seed: string;
  bits: string;
  structure: PhaseStructure;
  grains?: string;
  stack?: boolean;
  depth: string;
  particles: string;
  eds?: boolean;
}

function int(name: string, v: string, lo: number, hi: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new ServiceError('invalid-argument', `--${name} must be an integer from ${lo} to ${hi} (got '${v}').`);
  return n;
}

export function registerSynthCommands(program: Command): void {
  program
    .command('synth')
    .description('Write seeded synthetic micrographs with exact labels (images/*.png, labels/*.png) into a folder.')
    .argument('<dir>', 'output folder (created; existing files with the same names are replaced)')
    .addOption(new Option('--kind <kind>', 'polycrystalline grains (16-bit instance labels) or multiphase structures (8-bit class labels)').choices(['grains', 'phases']).default('grains'))
    .option('--count <n>', 'number of images', '4')
    .option('--size <px>', 'width and height, 256..8192', '1024')
    .option('--seed <n>', 'seed of the first image; image i uses seed + i', '1')
    .addOption(new Option('--bits <n>', 'bit depth of the images').choices(['8', '16']).default('8'))
    .addOption(new Option('--structure <s>', 'phases: second-phase morphology').choices(['particles', 'lamellae', 'network']).default('particles'))
    .option('--grains <n>', 'grains: grains per image (default from the size)')
    .option('--stack', 'a slice stack instead: ellipsoidal particles in a matrix as a multi-page TIFF, with its 3D truth (a label TIFF of particle ids and a JSON of the particles)')
    .option('--depth <n>', 'stack: number of slices', '24')
    .option('--particles <n>', 'stack: particles asked for', '24')
    .option('--eds', 'SEM images with elemental maps (Fe, Ni, Cr; coarser and shifted) and phase labels: two phases share a grey level')
    .action(async (dir: string, o: SynthOptions) => {
      if (o.stack && o.eds) throw new ServiceError('invalid-argument', '--stack and --eds make different data sets; give one of them.');
      if (o.stack) return writeStack(dir, o);
      const count = int('count', o.count, 1, 10_000);
      const size = int('size', o.size, 256, 8192);
      const seed0 = int('seed', o.seed, 0, 2 ** 31 - 1);
      const bitDepth = Number(o.bits) as 8 | 16;
      const out = resolve(dir);
      if (o.eds) return writeEdsSet(out, count, size, seed0);
      await makeDirs(join(out, 'images'), 'output folder');
      await makeDirs(join(out, 'labels'), 'output folder');
      const progress = new ProgressWriter();
      for (let i = 0; i < count; i++) {
        const seed = seed0 + i;
        const stem = `${o.kind}-${size}-s${seed}`;
        let image, label;
        if (o.kind === 'grains') {
          const g = generateGrains({ width: size, height: size, seed, bitDepth, ...(o.grains ? { grainCount: int('grains', o.grains, 2, 1_000_000) } : {}) });
          image = g.image;
          if (g.grainCount > 65535) throw new ServiceError('invalid-argument', `${g.grainCount} grains do not fit a 16-bit label PNG; use fewer grains.`);
          label = await encodePng({ width: size, height: size, channels: 1, bitDepth: 16, data: Uint16Array.from(g.labels.data) }, { strategy: 'rle', filter: 'up' });
        } else {
          const p = generatePhases({ width: size, height: size, seed, bitDepth, structure: o.structure });
          image = p.image;
          label = await encodePng({ width: size, height: size, channels: 1, bitDepth: 8, data: p.classes }, { strategy: 'rle', filter: 'up' });
        }
        const png = await encodePng({ width: size, height: size, channels: 1, bitDepth: image.data instanceof Uint16Array ? 16 : 8, data: image.data });
        await writeFile(join(out, 'images', `${stem}.png`), png);
        await writeFile(join(out, 'labels', `${stem}.png`), label);
        progress.update(`${i + 1}/${count} ${stem}`);
      }
      progress.end();
      console.log(`Wrote ${count} ${o.kind} image(s) of ${size}x${size} px with labels to ${out}`);
    });
}

/** `synth --stack`: the stack as a multi-page TIFF, its truth as a 3D label TIFF and the particle list. */
async function writeStack(dir: string, o: SynthOptions): Promise<void> {
  const size = int('size', o.size, 64, 4096);
  const depth = int('depth', o.depth, 2, 1000);
  const seed = int('seed', o.seed, 0, 2 ** 31 - 1);
  const bitDepth = Number(o.bits) as 8 | 16;
  const st = generateStack({ width: size, height: size, depth, seed, bitDepth, particles: int('particles', o.particles, 1, 10_000) });
  const out = resolve(dir);
  await makeDirs(out, 'output folder');
  const stem = `stack-${size}x${size}x${depth}-s${seed}`;
  const page = (data: Uint8Array | Uint16Array) => ({ width: size, height: size, channels: 1 as const, bitDepth, data });
  await writeFile(join(out, `${stem}.tif`), encodeTiffPages(st.slices.map(page)));
  await writeFile(join(out, `${stem}-truth.tif`), encodeTiffPages(st.labels.map((l) => ({ width: size, height: size, channels: 1, bitDepth: 16, data: Uint16Array.from(l) }))));
  await writeFile(join(out, `${stem}-truth.json`), JSON.stringify({ width: size, height: size, depth, seed, particles: st.particles }, null, 2));
  console.log(`Wrote a ${size}x${size} px stack of ${depth} slices with ${st.particles.length} particles to ${join(out, `${stem}.tif`)} (truth: ${stem}-truth.tif, ${stem}-truth.json)`);
}
