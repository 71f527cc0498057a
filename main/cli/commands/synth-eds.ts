// `grainlab synth --eds`: SEM images with elemental maps and known truth (app/synth/eds.ts):
// images/<stem>.png, labels/<stem>.png (phase 1 alpha, 2 beta, 3 gamma), and per image
// eds/<stem>/<element> Ka.png with eds/<stem>/truth.json (registration and phase names).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateEds } from '../../../app/synth';
import { encodePng } from '../../export/png';
import { makeDirs } from '../../fs/dirs';
import { ProgressWriter } from '../common';

export async function writeEdsSet(out: string, count: number, size: number, seed0: number): Promise<void> {
  await makeDirs(join(out, 'images'), 'output folder');
  await makeDirs(join(out, 'labels'), 'output folder');
  const progress = new ProgressWriter();
  for (let i = 0; i < count; i++) {
    const seed = seed0 + i;
    const stem = `eds-${size}-s${seed}`;
    const e = generateEds({ size, seed });
    const dir = join(out, 'eds', stem);
    await makeDirs(dir, 'output folder');
    await writeFile(join(out, 'images', `${stem}.png`), await encodePng({ width: size, height: size, channels: 1, bitDepth: 8, data: e.image.data }));
    await writeFile(join(out, 'labels', `${stem}.png`), await encodePng({ width: size, height: size, channels: 1, bitDepth: 8, data: e.classes }, { strategy: 'rle', filter: 'up' }));
    for (const m of e.maps) await writeFile(join(dir, `${m.element} Ka.png`), await encodePng({ width: m.width, height: m.height, channels: 1, bitDepth: 8, data: m.data }));
    await writeFile(join(dir, 'truth.json'), JSON.stringify({ registration: e.registration, phases: e.phaseNames.map((name, k) => ({ label: k + 1, name })), elements: e.maps.map((m) => m.element) }, null, 2));
    progress.update(`${i + 1}/${count} ${stem}`);
  }
  progress.end();
  console.log(`Wrote ${count} SEM image(s) of ${size}x${size} px with EDS maps (eds/<name>/) and phase labels to ${out}`);
}
