// CLI commands for clusters and classes: cluster the segments of images, propagate the classes a
// person gave to the other segments and images, and make pixel k-means phase maps.
import { Option, type Command } from 'commander';
import { ServiceError } from '../../../app/errors';
import { FeatureGroupSchema, type FeatureGroupName } from '../../../app/contract/cluster';
import type { GrainLabService } from '../../service';
import { withProject, runJob } from '../common';
import { confirmPlan, type KeepFlags } from '../ask';

interface Selection {
  image?: string[];
  all?: boolean;
}

/** Image ids named by --image/--all, checked against the project. */
async function pickImages(svc: GrainLabService, dir: string, o: Selection, segmentedOnly: boolean): Promise<number[]> {
  if (!o.all && !o.image) throw new ServiceError('invalid-argument', 'Say which images: --image <id...> or --all.');
  const images = await svc.call('images.list', {});
  const ids = o.all ? images.map((i) => i.id) : o.image!.map(Number);
  for (const id of ids) if (!images.some((i) => i.id === id)) throw new ServiceError('not-found', `Image ${id} is not in ${dir}. Run 'grainlab info ${dir}' to list image ids.`);
  if (!segmentedOnly) return ids;
  const out: number[] = [];
  for (const id of ids) if (await svc.call('segmentation.get', { imageId: id })) out.push(id);
  if (out.length === 0) throw new ServiceError('not-found', `None of the chosen images is segmented yet. Run 'grainlab segment ${dir} --all' first.`);
  return out;
}

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

function kOption(v: string, lo: number, hi: number): number | 'auto' {
  if (v === 'auto') return 'auto';
  const k = Number(v);
  if (!Number.isInteger(k) || k < lo || k > hi) throw new ServiceError('invalid-argument', `--k must be 'auto' or an integer from ${lo} to ${hi} (got '${v}').`);
  return k;
}

export function registerClusterCommands(program: Command): void {
  program
    .command('cluster')
    .description('Cluster the segments of images by appearance (k-means on segment features) and print the clusters.')
    .argument('<dir>', 'project folder')
    .option('--image <id...>', 'image ids')
    .option('--all', 'every segmented image')
    .option('--k <n>', "number of clusters, or 'auto' (best silhouette over 2..8)", 'auto')
    .option('--groups <list>', 'feature groups: intensity,texture,shape,boundary,embedding,channels (elemental maps)', 'intensity,texture,shape,boundary')
    .option('--seed <n>', 'k-means++ seed', '1')
    .option('--quiet', 'no progress output')
    .action(async (dir: string, o: Selection & { k: string; groups: string; seed: string; quiet?: boolean }) => {
      const groups = o.groups.split(',').map((g) => {
        const r = FeatureGroupSchema.safeParse(g.trim());
        if (!r.success) throw new ServiceError('invalid-argument', `Unknown feature group '${g}'. Use intensity, texture, shape, boundary, embedding or channels.`);
        return r.data;
      }) as FeatureGroupName[];
      await withProject(dir, async (svc) => {
        for (const imageId of await pickImages(svc, dir, o, true)) {
          const { jobId } = await svc.call('cluster.run', { imageId, groups, k: kOption(o.k, 1, 32), seed: Number(o.seed) });
          await runJob(svc, jobId, !!o.quiet);
          const s = (await svc.call('cluster.get', { imageId }))!;
          const sil = s.silhouette.length ? `  silhouette ${s.silhouette.map((x) => `k${x.k}=${x.score.toFixed(3)}`).join(' ')}` : '';
          console.log(`image ${imageId}: ${s.k} clusters of ${s.segmentIds.length} segments${sil}`);
          for (const c of s.clusters) console.log(`  cluster ${c.id}  ${String(c.size).padStart(6)} segments  ${(c.areaFraction * 100).toFixed(1).padStart(5)} % of area${c.classId !== null ? `  class ${c.classId}` : ''}`);
        }
      });
    });

  program
    .command('propagate')
    .description('Train the classifier on the classes a person gave (or verified) and label the other segments of the project.')
    .argument('<dir>', 'project folder')
    .addOption(new Option('--model <m>', 'classifier').choices(['auto', 'nearest-centroid', 'logreg']).default('auto'))
    .option('--image <id...>', 'only these images (default: every segmented image)')
    .option('--quiet', 'no progress output')
    .action(async (dir: string, o: { model: 'auto' | 'nearest-centroid' | 'logreg'; image?: string[]; quiet?: boolean }) => {
      await withProject(dir, async (svc) => {
        const info = await svc.call('classify.train', { model: o.model });
        console.log(`classifier v${info.version} (${info.model}) trained on ${info.trainedOn.segments} segments of ${info.trainedOn.images} image(s)`);
        const names = new Map((await svc.call('classes.list', {})).map((c) => [c.id, c.name]));
        if (info.cv) {
          console.log(`  stratified ${info.cv.folds}-fold cross-validation: accuracy ${pct(info.cvAccuracy!)}, balanced accuracy ${pct(info.cv.balancedAccuracy)}`);
          for (const c of info.trainedOn.perClass) console.log(`  ${(names.get(c.classId) ?? `class ${c.classId}`).padEnd(20)} ${String(c.count).padStart(6)} examples  recall ${pct(info.cv.recall.find((r) => r.classId === c.classId)?.recall ?? 0)}`);
        } else console.log('  too few examples per class for cross-validation (each class needs at least 2)');
        for (const w of info.warnings ?? []) console.log(`  warning: ${w}`);
        const ids = o.image ? o.image.map(Number) : (await svc.call('images.list', {})).filter((i) => i.segmentCount > 0).map((i) => i.id);
        if (ids.length === 0) throw new ServiceError('not-found', `No image in ${dir} is segmented yet. Run 'grainlab segment ${dir} --all' first.`);
        await confirmPlan(svc, ids, { quiet: !!o.quiet }, 'Predicting classes on', 'classify');
        const { jobId } = await svc.call('classify.applyToImages', { imageIds: ids });
        await runJob(svc, jobId, !!o.quiet);
        console.log('classes applied; classes a person gave, imported classes and verified segments were kept');
      });
    });

  program
    .command('phases')
    .description('Pixel k-means phase map: each pixel gets the phase of its intensity cluster; regions become segments with classes "Phase 1".. (darkest first). A new version of the segmentation; segments a person made are kept.')
    .argument('<dir>', 'project folder')
    .option('--image <id...>', 'image ids')
    .option('--all', 'every image')
    .option('--k <n>', "number of phases, or 'auto' (2..5)", 'auto')
    .option('--texture', 'add local contrast (5x5 standard deviation) to the intensity')
    .option('--smooth <px>', 'majority-filter radius before regions are formed (0 = off)', '1')
    .option('--min-area <px>', 'regions smaller than this join a neighbour', '16')
    .option('--keep', 'images with a segmentation: keep the segments a person made and replace the rest (default)')
    .option('--replace', 'images with a segmentation: replace everything, also what a person made (it stays in the replaced version)')
    .option('-y, --yes', 'go ahead without asking when images hold corrections a person made')
    .option('--quiet', 'no progress output')
    .action(async (dir: string, o: Selection & KeepFlags & { k: string; texture?: boolean; smooth: string; minArea: string; quiet?: boolean }) => {
      await withProject(dir, async (svc) => {
        const imageIds = await pickImages(svc, dir, o, false);
        const keep = await confirmPlan(svc, imageIds, o, 'Making phase maps of');
        const { jobId } = await svc.call('segment.pixelKMeans', { imageIds, k: kOption(o.k, 2, 8) as number | 'auto', texture: !!o.texture, smooth: Number(o.smooth), minArea: Number(o.minArea), keep });
        await runJob(svc, jobId, !!o.quiet);
        for (const id of imageIds) console.log(`image ${id}: ${(await svc.call('segmentation.get', { imageId: id }))!.segments.length} phase regions`);
      });
    });
}
