// CLI commands for what a project keeps and drops: `grainlab versions` (the earlier segmentations
// of an image, restoring one, how many to keep) and `grainlab remove` (images out of the project).
import type { Command } from 'commander';
import { ServiceError } from '../../../app/errors';
import type { SegmentationSummary } from '../../../app/contract/versions';
import { withProject } from '../common';

function int(flag: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ServiceError('invalid-argument', `${flag} needs a whole number from ${min}; got '${v}'.`);
  return n;
}

function settingsText(s: unknown): string {
  if (s === null || s === undefined) return '';
  const json = JSON.stringify(s);
  return json.length > 100 ? `${json.slice(0, 97)}...` : json;
}

function line(label: string, v: SegmentationSummary): string {
  return `${label}  ${v.engine.padEnd(22)} made ${v.madeAt ?? '?'}  ${String(v.segmentCount).padStart(6)} segments, ${v.personCount} yours, ${v.editCount} edit(s)  ${settingsText(v.settings)}`;
}

export function registerVersionCommands(program: Command): void {
  program
    .command('versions')
    .description('The segmentation versions of an image: every automatic result (segmenting, phase maps, imported labels) keeps the one it replaced. List them, restore one (one undoable step), or set how many are kept.')
    .argument('<dir>', 'project folder')
    .option('--image <id>', 'image id')
    .option('--restore <version>', 'make this version current again (the current one becomes a version)')
    .option('--limit <n>', 'versions kept per image (default 10)')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, o: { image?: string; restore?: string; limit?: string; json?: boolean }) => {
      await withProject(dir, async (svc) => {
        if (o.limit !== undefined) console.log(`keeping ${(await svc.call('versions.setLimit', { limit: int('--limit', o.limit) })).limit} versions per image`);
        if (o.image === undefined) {
          if (o.limit === undefined) throw new ServiceError('invalid-argument', 'Say which image: --image <id> (grainlab info lists them).');
          return;
        }
        const imageId = int('--image', o.image);
        if (o.restore !== undefined) {
          const r = await svc.call('versions.restore', { imageId, versionId: int('--restore', o.restore) });
          console.log(`image ${imageId}: version ${o.restore} restored (${r.segments} segments); the segmentation it replaced is version ${r.versionId}`);
        }
        const list = await svc.call('versions.list', { imageId });
        if (o.json) {
          console.log(JSON.stringify(list, null, 2));
          return;
        }
        if (!list.current) console.log(`image ${imageId} is not segmented`);
        else console.log(line('current', list.current));
        for (const v of list.versions) console.log(`${line(`v${String(v.id).padEnd(6)}`, v)}  replaced ${v.replacedAt} by ${v.replacedBy}`);
        if (list.versions.length === 0) console.log('no earlier versions');
      });
    });

  program
    .command('remove')
    .description('Remove images from the project, with their segmentations, versions and history (their files go when no other image uses them).')
    .argument('<dir>', 'project folder')
    .requiredOption('--image <id...>', 'image ids')
    .option('-y, --yes', 'really remove them (this cannot be undone)')
    .action(async (dir: string, o: { image: string[]; yes?: boolean }) => {
      await withProject(dir, async (svc) => {
        const ids = o.image.map((v) => int('--image', v));
        const images = await svc.call('images.list', {});
        for (const id of ids) if (!images.some((i) => i.id === id)) throw new ServiceError('not-found', `Image ${id} is not in ${dir}. Run 'grainlab info ${dir}' to list image ids.`);
        const chosen = images.filter((i) => ids.includes(i.id));
        for (const im of chosen) console.error(`  #${im.id} ${im.name}: ${im.segmentCount} segments, status ${im.status}`);
        if (!o.yes) throw new ServiceError('invalid-argument', `Removing ${chosen.length} image(s) deletes their segmentations and history and cannot be undone; add --yes to go ahead.`);
        const r = await svc.call('images.remove', { ids });
        console.log(`removed ${r.removed} image(s), ${r.files} file(s)`);
      });
    });
}
