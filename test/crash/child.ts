// The process the crash test kills: it works on a project through the real service (edits,
// segmentation writes, imports, exports, a migration) and prints one line per acknowledged step,
// written synchronously to stdout before the next step starts. Bundled by the runner and started
// with plain `node` (no TypeScript loader), so a kill costs little time.
// argv: <project dir> <phase> <seed> <export root> <v1 project dir>
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { GrainLabService } from '../../main/service';
import { seededRandom } from '../../app/random';

const [dir, phase, seedText, exportRoot, v1Dir] = process.argv.slice(2) as [string, string, string, string, string];
const rand = seededRandom(Number(seedText));
const say = (line: string) => writeSync(1, `${line}\n`);

async function png(seed: number, size = 96): Promise<Uint8Array> {
  const r = seededRandom(seed);
  const px = new Uint8Array(size * size);
  const discs = Array.from({ length: 6 }, () => [r() * size, r() * size, 6 + r() * 10] as const);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) px[y * size + x] = discs.some(([cx, cy, rr]) => (x - cx) ** 2 + (y - cy) ** 2 < rr * rr) ? 200 + r() * 30 : 40 + r() * 30;
  return new Uint8Array(await sharp(px, { raw: { width: size, height: size, channels: 1 } }).png().toBuffer());
}

function jobDone(svc: GrainLabService, jobId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const off = svc.on('onDidProgress', (e) => {
      if (e.jobId !== jobId || e.state === 'running') return;
      off();
      if (e.state === 'done') resolve();
      else reject(new Error(`${e.title} ${e.state}`));
    });
  });
}

async function main(): Promise<void> {
  const svc = new GrainLabService({ userDataDir: join(dir, '..', 'user'), binding: 'web' });
  if (phase === 'migration') {
    // Opening a v1 project migrates it (backup first, one transaction); killed at a random moment of it.
    say('ready');
    await svc.call('project.open', { path: v1Dir });
    say('ack migrated');
    await svc.call('project.close', {});
    return;
  }
  await svc.call('project.open', { path: dir });
  say('ready');
  const images = await svc.call('images.list', {});
  for (let k = 0; ; k++) {
    if (phase === 'edits') {
      const im = images.find((i) => i.status !== 'new') ?? images[0]!;
      const x = rand() * im.width;
      const y = rand() * im.height;
      const ack = await svc.call('edit.apply', { imageId: im.id, op: { kind: 'brush', mode: rand() < 0.3 ? 'erase' : 'paint', points: [[x, y], [x + (rand() - 0.5) * 40, y + (rand() - 0.5) * 40]], radius: 1 + rand() * 4, target: 'new' } });
      if (ack.status === 'applied') say(`ack edit ${im.id} ${ack.seq}`);
    } else if (phase === 'segment') {
      const ids = [images[Math.floor(rand() * images.length)]!.id, images[Math.floor(rand() * images.length)]!.id].filter((v, j, a) => a.indexOf(v) === j);
      const { jobId } = await svc.call('segment.auto', { imageIds: ids });
      await jobDone(svc, jobId);
      say(`ack segment ${ids.join(',')}`);
    } else if (phase === 'import') {
      const name = `import-${seedText}-${k}.png`;
      const r = await svc.call('images.importFiles', { files: [{ name, bytes: await png(Number(seedText) * 1000 + k) }] });
      say(`ack import ${r.imported[0]!.id}`);
    } else if (phase === 'export') {
      const dest = join(exportRoot, `ds-${seedText}-${k}`);
      const { jobId } = await svc.call('export.dataset', { dest, format: k % 2 ? 'png' : 'coco', copyImages: true, imageIds: images.slice(0, 5).map((i) => i.id) });
      await jobDone(svc, jobId);
      say(`ack export ${dest}`);
    }
  }
}

main().catch((e: unknown) => {
  say(`error ${e instanceof Error ? e.message : String(e)}`);
  process.exit(3);
});
