// Elemental maps (issue 18 item 3): synthetic SEM images where two of three phases share a grey
// level and differ only in their EDS maps (coarser by 4x and shifted; app/synth/eds.ts), through
// the service: the maps' registration error, and the phase IoU of clustering (classic grain
// segments, k = 3) and of the pixel classifier (scribbles from the truth) with the SEM image
// alone and with SEM + EDS. Alone: node --import tsx test/bench/eds.bench.ts
import type { GrainLabService } from '../../main/service';
import { runToEnd } from '../integration/export-kit';
import { edsProject, matchedPhaseIoU, truthScribbles } from '../support/eds-kit';
import { writeResult, type BenchRow } from './common';
import { normalizedGrey, DEFAULT_FEATURES } from '../../app/learn/features';
import { argmaxClasses, predict, train } from '../../app/learn/pipeline';
import { channelFeatureMaps } from '../../app/learn/channel-features';
import { resampleToImage } from '../../app/channels/registration';
import type { FeatureGroupName } from '../../app/contract';

const SEEDS = [1, 2, 3];
const SIZE = 512;
const P = 3;

async function clusterIoU(svc: GrainLabService, imageId: number, groups: FeatureGroupName[], truth: Uint8Array) {
  await runToEnd(svc, () => svc.call('cluster.run', { imageId, groups, k: P, seed: 1 }));
  const c = (await svc.call('cluster.get', { imageId }))!;
  const seg = (await svc.call('segmentation.get', { imageId }))!;
  const clusterOf = new Map<number, number>();
  c.segmentIds.forEach((id, i) => clusterOf.set(id, c.clusterIds[i]!));
  const pred = new Uint8Array(seg.labels.length).fill(255);
  for (let i = 0; i < pred.length; i++) pred[i] = clusterOf.get(seg.labels[i]!) ?? 255;
  const m = matchedPhaseIoU(pred, truth, P, P);
  // Phase fractions: each matched cluster's area share against the truth.
  let fracErr = 0;
  for (let p = 0; p < P; p++) {
    const cl = c.clusters.find((x) => x.id === m.groupOf[p]);
    let n = 0;
    for (const t of truth) if (t === p + 1) n++;
    fracErr = Math.max(fracErr, Math.abs((cl?.areaFraction ?? 0) - n / truth.length));
  }
  return { ...m, fracErr };
}

const rows: BenchRow[] = [];
const acc = { reg: [] as number[], scale: [] as number[], cSem: [] as number[], cEds: [] as number[], cSemAB: [] as number[], cEdsAB: [] as number[], fSem: [] as number[], fEds: [] as number[], pSem: [] as number[], pEds: [] as number[], pSemAB: [] as number[], pEdsAB: [] as number[], regMs: [] as number[] };
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
for (const seed of SEEDS) {
  const t0 = performance.now();
  const { svc, imageId, eds, imported } = await edsProject(seed, SIZE);
  acc.regMs.push(performance.now() - t0);
  try {
    const r = imported.added[0]!.registration;
    const truthR = eds.registration;
    acc.reg.push(Math.hypot(r.tx - truthR.tx, r.ty - truthR.ty));
    acc.scale.push(Math.max(Math.abs(r.sx - truthR.sx), Math.abs(r.sy - truthR.sy)));
    await runToEnd(svc, () => svc.call('segment.auto', { imageIds: [imageId], engine: 'classic', classic: { mode: 'grain' } }));
    const sem = await clusterIoU(svc, imageId, ['intensity', 'texture'], eds.classes);
    const withEds = await clusterIoU(svc, imageId, ['intensity', 'texture', 'channels'], eds.classes);
    acc.cSem.push(sem.mean);
    acc.cEds.push(withEds.mean);
    acc.cSemAB.push((sem.perPhase[0]! + sem.perPhase[1]!) / 2);
    acc.cEdsAB.push((withEds.perPhase[0]! + withEds.perPhase[1]!) / 2);
    acc.fSem.push(sem.fracErr);
    acc.fEds.push(withEds.fracErr);
    // Pixel classifier: 6 scribble discs (radius 4) per phase, trained and scored on the image.
    const w = SIZE;
    const grey = normalizedGrey({ width: w, height: w, channels: 1, bitDepth: 8, data: eds.image.data });
    const labels = truthScribbles(eds.classes, w, w, P, 6, 4, seed);
    const extra = channelFeatureMaps(imported.added.map((c, k) => resampleToImage(eds.maps.find((m) => m.element === c.element) ?? eds.maps[k]!, c.registration, w, w)), w, w);
    for (const useEds of [false, true]) {
      const clf = train([{ grey, width: w, height: w, labels, ...(useEds ? { extra } : {}) }], { features: DEFAULT_FEATURES, nClasses: P });
      const cls = argmaxClasses(predict(clf, grey, w, w, useEds ? { extra } : {}), P, w * w);
      // Classes are the phases (k -> phase k + 1): score without re-matching.
      const direct = [0, 1, 2].map((p) => {
        let i = 0, u = 0;
        for (let q = 0; q < cls.length; q++) {
          const a = cls[q] === p;
          const b = eds.classes[q] === p + 1;
          if (a && b) i++;
          if (a || b) u++;
        }
        return i / (u || 1);
      });
      (useEds ? acc.pEds : acc.pSem).push(mean(direct));
      (useEds ? acc.pEdsAB : acc.pSemAB).push((direct[0]! + direct[1]!) / 2);
    }
  } finally {
    await svc.dispose();
  }
}
const note = `${SEEDS.length} synthetic ${SIZE}² images (seeds ${SEEDS.join(', ')}), maps 4x coarser and shifted`;
rows.push({ metric: 'registration error (estimated shift vs truth), mean', value: mean(acc.reg), unit: 'px', target: '≤ 1 px', note });
rows.push({ metric: 'registration error, worst image', value: Math.max(...acc.reg), unit: 'px' });
rows.push({ metric: 'scale error (estimated vs truth), worst', value: Math.max(...acc.scale), unit: 'px/px' });
rows.push({ metric: 'new project, SEM import, 3 maps imported and registered (512² image, 128² maps), mean', value: mean(acc.regMs), unit: 'ms' });
rows.push({ metric: 'clustering (k=3, classic segments) mean phase IoU, SEM alone', value: mean(acc.cSem), unit: 'IoU', note: 'groups intensity, texture' });
rows.push({ metric: 'clustering mean phase IoU, SEM + EDS', value: mean(acc.cEds), unit: 'IoU', note: 'groups intensity, texture, channels' });
rows.push({ metric: 'clustering IoU of the two same-grey phases, SEM alone', value: mean(acc.cSemAB), unit: 'IoU' });
rows.push({ metric: 'clustering IoU of the two same-grey phases, SEM + EDS', value: mean(acc.cEdsAB), unit: 'IoU' });
rows.push({ metric: 'phase fraction error (cluster area vs truth), worst phase, SEM alone', value: mean(acc.fSem) * 100, unit: '% points' });
rows.push({ metric: 'phase fraction error, worst phase, SEM + EDS', value: mean(acc.fEds) * 100, unit: '% points' });
rows.push({ metric: 'pixel classifier mean phase IoU, SEM alone', value: mean(acc.pSem), unit: 'IoU', note: '6 scribble discs (r 4) per phase, same image' });
rows.push({ metric: 'pixel classifier mean phase IoU, SEM + EDS', value: mean(acc.pEds), unit: 'IoU', note: 'filter bank + maps smoothed at 1, 3, 6 px' });
rows.push({ metric: 'pixel classifier IoU of the two same-grey phases, SEM alone', value: mean(acc.pSemAB), unit: 'IoU' });
rows.push({ metric: 'pixel classifier IoU of the two same-grey phases, SEM + EDS', value: mean(acc.pEdsAB), unit: 'IoU' });
writeResult('eds', rows);
