// CLI commands for learning from corrections: `grainlab train` trains the pixel classifier from
// every label of the project (scribbles, corrected or verified segments' classes, clusters'
// classes); `grainlab predict` applies it to images, keeping what a person made.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ServiceError } from '../../../app/errors';
import { FEATURE_KINDS, type FeatureKind, type FeatureSpec } from '../../../app/learn/features';
import { describeFeatureSet, FEATURE_PRESETS, parseFeatureFlags, type FeaturePreset } from '../../../app/learn/feature-set';
import type { GrainLabService } from '../../service';
import { withProject, runJob } from '../common';
import { confirmPlan, type KeepFlags } from '../ask';

/** A class named by id or by name. */
async function classId(svc: GrainLabService, v: string, flag: string): Promise<number> {
  const classes = await svc.call('classes.list', {});
  const c = classes.find((x) => String(x.id) === v || x.name.toLowerCase() === v.toLowerCase());
  if (!c) throw new ServiceError('not-found', `${flag}: no class '${v}' in this project (classes: ${classes.map((x) => `${x.id} ${x.name}`).join(', ') || 'none'}).`);
  return c.id;
}

export function registerLearnCommands(program: Command): void {
  program
    .command('train')
    .description('Train the pixel classifier from the project\'s labels: scribbles, classes of corrected or verified segments, classes given to clusters.')
    .argument('<dir>', 'project folder')
    .option('--sigmas <list>', 'feature scales in pixels, 0.3 to 64, e.g. 0.7,1,1.6,3.5,5,10 (default: the project\'s feature set)')
    .option('--kinds <list>', `feature kinds: ${FEATURE_KINDS.join(',')} (default: the project's feature set)`)
    .option('--features <list>', 'the same as --kinds')
    .option('--preset <name>', `a preset feature set: ${Object.keys(FEATURE_PRESETS).join(', ')}`)
    .option('--save-features', 'also make the chosen feature set the project\'s (used by later training and the app)')
    .option('--no-auto-context', 'one stage only (faster, usually less accurate)')
    .option('--scribbles-only', 'learn from scribbles only, not from segments\' classes')
    .option('--channels', 'use the images\' elemental maps (grainlab channels) as features too')
    .option('--sam-features', 'add feature maps from a SAM model\'s image embedding (PCA-reduced to 8, upsampled); needs a SAM model installed')
    .option('--model <id>', 'with --sam-features: the SAM model (default: the active model)')
    .option('--self-train', 'self-train on confident pixels of unlabelled images (pseudo-labels, below your labels)')
    .option('--no-self-train', 'no self-training')
    .option('--out <file>', 'also write the classifier to a file for batch use (grainlab predict --classifier): .onnx (ONNX TreeEnsembleClassifier models, for any ONNX runtime), .json, or .glclf (GrainLab binary)')
    .option('--export <file>', 'the same as --out')
    .option('--quiet', 'no progress output')
    .action(async (dir: string, o: { sigmas?: string; kinds?: string; features?: string; preset?: string; saveFeatures?: boolean; autoContext: boolean; scribblesOnly?: boolean; channels?: boolean; samFeatures?: boolean; model?: string; selfTrain?: boolean; out?: string; export?: string; quiet?: boolean }) => {
      const kindFlag = o.kinds ?? o.features;
      let preset: FeatureSpec | null = null;
      if (o.preset !== undefined) {
        const name = Object.keys(FEATURE_PRESETS).find((p) => p.toLowerCase() === o.preset!.trim().toLowerCase()) as FeaturePreset | undefined;
        if (!name) throw new ServiceError('invalid-argument', `--preset: unknown preset '${o.preset}'. Use ${Object.keys(FEATURE_PRESETS).join(', ')}.`);
        preset = FEATURE_PRESETS[name];
      }
      // Flags are checked before the project opens, so a typo is told at once.
      const check = (sigmas: string, kinds: string) => {
        try {
          return parseFeatureFlags(sigmas, kinds);
        } catch (e) {
          throw new ServiceError('invalid-argument', `${/scale/.test((e as Error).message) ? '--sigmas' : '--kinds'}: ${(e as Error).message}.`);
        }
      };
      if (o.sigmas !== undefined || kindFlag !== undefined) check(o.sigmas ?? '1', kindFlag ?? 'gauss');
      if (o.model && !o.samFeatures) throw new ServiceError('invalid-argument', '--model names the SAM model of --sam-features; add --sam-features (or leave --model out).');
      await withProject(dir, async (svc) => {
        let features: FeatureSpec | undefined;
        if (preset || o.sigmas !== undefined || kindFlag !== undefined) {
          const base = preset ?? (await svc.call('learn.features', {}));
          features = check(o.sigmas ?? base.sigmas.join(','), kindFlag ?? base.kinds.join(','));
        }
        if (features && o.saveFeatures) await svc.call('learn.setFeatures', features);
        const sam = o.samFeatures ? { sam: true, ...(o.model ? { samModel: o.model } : {}) } : {};
        const { jobId } = await svc.call('learn.train', { ...(features ? { features } : {}), autoContext: o.autoContext, segments: !o.scribblesOnly, channels: !!o.channels, ...sam, ...(o.selfTrain !== undefined ? { selfTrain: o.selfTrain } : {}) });
        await runJob(svc, jobId, !!o.quiet);
        const info = (await svc.call('learn.status', {}))!;
        console.log(`classifier v${info.version}: ${info.classes.map((c) => c.name).join(', ')}; ${info.labels.total.toLocaleString('en')} labelled pixels on ${info.labels.images} images; ${info.autoContext ? 'two stages (auto-context)' : 'one stage'}${info.channels ? `; maps of ${info.channels.join(', ')}` : ''}${info.sam ? `; ${info.sam.components.length / 256} SAM-embedding maps of ${info.sam.model}` : ''}${info.selfTrain ? `; self-trained with ${info.selfTrain.pseudoLabelled.toLocaleString('en')} pseudo-labelled pixels of ${info.selfTrain.images} unlabelled images` : ''}; ${info.trainingSeconds.toFixed(1)} s`);
        console.log(`  features: ${describeFeatureSet({ sigmas: info.features.sigmas, kinds: info.features.kinds as FeatureKind[] })}`);
        for (const c of info.labels.byClass) console.log(`  ${c.name}: ${c.scribble} scribbled, ${c.segment} from segments, ${c.cluster} from clusters`);
        const out = o.out ?? o.export;
        if (out) {
          const r = await svc.call('learn.export', { path: resolve(out) });
          console.log(`written ${r.path} (${r.bytes.toLocaleString('en')} bytes)`);
        }
      });
    });

  program
    .command('predict')
    .description('Segment images with the pixel classifier; segments a person made are kept, the old result stays as a version.')
    .argument('<dir>', 'project folder')
    .argument('[images...]', 'image ids')
    .option('--all', 'every image of the project')
    .option('--output <kind>', "'phases' (regions of one class) or 'grains' (boundary class + watershed)", 'phases')
    .option('--boundary-class <class>', 'grains: the class (id or name) that marks boundaries')
    .option('--skip-class <class...>', 'phases: classes (id or name) that get no segments, e.g. the matrix')
    .option('--fraction <class=f...>', 'phase-fraction target, e.g. particles=0.12 (shifts the decision)')
    .option('--min-area <px>', 'smaller regions join their neighbours', '16')
    .option('--min-confidence <p>', "phases: keep only segments whose mean class probability is at least p (0..1), e.g. 0.9; the rest stay unlabelled to draw by hand")
    .option('--classifier <file>', 'a classifier file written by train --out (.onnx, .json or .glclf), instead of the project\'s own')
    .option('--keep', 'images with a segmentation: keep the segments a person made and replace the rest (default)')
    .option('--replace', 'replace everything, also what a person made (kept as a version)')
    .option('--yes', 'go on without asking when a person\'s corrections are at stake')
    .option('--quiet', 'no progress output')
    .action(async (dir: string, images: string[], o: KeepFlags & { all?: boolean; output: string; boundaryClass?: string; skipClass?: string[]; fraction?: string[]; minArea: string; minConfidence?: string; classifier?: string }) => {
      if (o.output !== 'phases' && o.output !== 'grains') throw new ServiceError('invalid-argument', `--output must be 'phases' or 'grains' (got '${o.output}').`);
      if (!o.all && images.length === 0) throw new ServiceError('invalid-argument', 'Say which images: give image ids or --all.');
      await withProject(dir, async (svc) => {
        const list = await svc.call('images.list', {});
        const ids = o.all ? list.map((i) => i.id) : images.map(Number);
        for (const id of ids) if (!list.some((i) => i.id === id)) throw new ServiceError('not-found', `Image ${images[ids.indexOf(id)] ?? id} is not in ${dir}. Run 'grainlab info ${dir}' to list image ids.`);
        const fractions: Record<string, number> = {};
        for (const f of o.fraction ?? []) {
          const m = /^(.+)=([0-9.]+)$/.exec(f);
          const v = m ? Number(m[2]) : NaN;
          if (!m || !(v >= 0 && v <= 1)) throw new ServiceError('invalid-argument', `--fraction takes class=fraction with a fraction from 0 to 1 (got '${f}').`);
          fractions[String(await classId(svc, m[1]!, '--fraction'))] = v;
        }
        const minConfidence = o.minConfidence === undefined ? undefined : Number(o.minConfidence);
        if (minConfidence !== undefined && !(minConfidence >= 0 && minConfidence <= 1)) throw new ServiceError('invalid-argument', `--min-confidence takes a probability from 0 to 1 (got '${o.minConfidence}').`);
        if (minConfidence !== undefined && o.output !== 'phases') throw new ServiceError('invalid-argument', '--min-confidence applies to --output phases only.');
        const skipClassIds = await Promise.all((o.skipClass ?? []).map((c) => classId(svc, c, '--skip-class')));
        const boundaryClassId = o.boundaryClass ? await classId(svc, o.boundaryClass, '--boundary-class') : undefined;
        const keep = await confirmPlan(svc, ids, o, 'Predicting');
        const { jobId } = await svc.call('learn.predict', {
          imageIds: ids,
          keep,
          output: o.output as 'phases' | 'grains',
          skipClassIds,
          minArea: Number(o.minArea),
          ...(minConfidence !== undefined ? { minConfidence } : {}),
          ...(boundaryClassId ? { boundaryClassId } : {}),
          ...(Object.keys(fractions).length ? { fractions } : {}),
          ...(o.classifier ? { classifier: resolve(o.classifier) } : {}),
        });
        await runJob(svc, jobId, !!o.quiet);
        for (const id of ids) {
          const seg = await svc.call('segmentation.get', { imageId: id });
          console.log(`image ${id}: ${seg ? `${seg.segments.length} segments (${seg.engine})` : 'no result'}`);
        }
      });
    });
}
