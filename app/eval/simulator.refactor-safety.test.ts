// Refactor-safety pins for the correction-effort simulator (issue 15's split of simulator.ts into
// files by concern). The expected figures were computed on the unsplit simulator (commit bcbd18c)
// and pin its full behaviour on small synthetic cases: operations per gesture, how it stopped, the
// final score and a checksum of the corrected map. A change here means the simulator's behaviour
// changed, which a pure refactor must not do; a deliberate change of behaviour re-derives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskToRle, type MaskRle } from '../edit';
import { generateGrains, generatePhases } from '../synth';
import type { LabelMap } from '../types';
import { simulateCorrection, type SimulationResult } from './simulator';

const W = 96;
const grains = generateGrains({ width: W, height: W, seed: 11, grainCount: 14 });
const truth = grains.labels;

/** FNV-1a over the map's values: a stand-in for the whole corrected map. */
function checksum(m: LabelMap): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < m.data.length; i++) {
    h ^= m.data[i]! & 0xffff;
    h = Math.imul(h, 0x01000193) >>> 0;
    h ^= m.data[i]! >>> 16;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function summary(r: SimulationResult) {
  const used = Object.fromEntries(Object.entries(r.opsByType).filter(([, n]) => n > 0));
  return { opsByType: used, sequence: r.gestures.join(' '), operations: r.operations, stoppedBy: r.stoppedBy, grains: r.grains, finalScore: Number(r.finalScore.toFixed(9)), map: checksum(r.map) };
}

/** A start with every kind of grain error: two grains merged, one cut in two, one missing, a spurious blob, a ragged edge. */
function grainStart(): LabelMap {
  const ids = [...new Set(truth.data)].sort((a, b) => a - b);
  const [a, b, c, d, e] = ids.slice(1);
  const m: LabelMap = { width: W, height: W, data: truth.data.slice() };
  for (let i = 0; i < m.data.length; i++) {
    const x = i % W;
    const y = Math.floor(i / W);
    const v = truth.data[i]!;
    if (v === b) m.data[i] = a!;
    else if (v === c && x % 2 === 0 && y > 40) m.data[i] = 500;
    else if (v === d) m.data[i] = 0;
    if (x >= 60 && x < 68 && y >= 2 && y < 10) m.data[i] = 600;
    if (v === e && x > 0 && truth.data[i - 1] !== e) m.data[i] = truth.data[i - 1]!;
  }
  return m;
}

function sam(x: number, y: number): MaskRle | null {
  const t = truth.data[Math.floor(y) * W + Math.floor(x)]!;
  const bin = new Uint8Array(W * W);
  truth.data.forEach((v, i) => (bin[i] = v === t ? 1 : 0));
  return maskToRle(bin, { x: 0, y: 0, width: W, height: W });
}

const P = 96;
const phases = generatePhases({ width: P, height: P, seed: 5, structure: 'particles', volumeFraction: 0.25, particles: [{ radius: 5 }] });

function phaseStart(): LabelMap {
  const m: LabelMap = { width: P, height: P, data: phases.labels.data.slice() };
  for (let i = 0; i < m.data.length; i++) {
    if (m.data[i]! % 5 === 2 && m.data[i]! !== 0) m.data[i] = 0;
    const x = i % P;
    const y = Math.floor(i / P);
    if (x >= 4 && x < 12 && y >= 4 && y < 12 && phases.classes[i] === 0) m.data[i] = 999;
  }
  return m;
}

const phaseOpts = { kind: 'phases' as const, truthClasses: phases.classes, clusters: (id: number) => (id === 999 ? 2 : 1), target: 0.95 };

const cases: Record<string, () => SimulationResult> = {
  'grains, mixed errors': () => simulateCorrection(grainStart(), truth, { kind: 'grains', target: 0.9999 }),
  'grains, mixed errors, with SAM': () => simulateCorrection(grainStart(), truth, { kind: 'grains', target: 0.9999, samClick: sam }),
  'grains, two grains missing, with SAM': () => {
    const ids = [...new Set(truth.data)].sort((a, b) => a - b);
    const gone = new Set([ids[6], ids[9]]);
    return simulateCorrection({ width: W, height: W, data: truth.data.map((v) => (gone.has(v) ? 0 : v)) }, truth, { kind: 'grains', target: 0.9999, samClick: sam });
  },
  'grains, mixed errors, capped at 2': () => simulateCorrection(grainStart(), truth, { kind: 'grains', target: 0.9999, maxOps: 2 }),
  'grains, empty start, tries 3': () => simulateCorrection({ width: W, height: W, data: new Uint32Array(W * W) }, truth, { kind: 'grains', tries: 3 }),
  'phases, per cluster': () => simulateCorrection(phaseStart(), phases.labels, phaseOpts),
  'phases, per segment': () => simulateCorrection(phaseStart(), phases.labels, { ...phaseOpts, classAssign: 'segment' }),
  'phases, empty start': () => simulateCorrection({ width: P, height: P, data: new Uint32Array(P * P) }, phases.labels, { kind: 'phases', truthClasses: phases.classes, target: 0.8 }),
};

const expected: Record<string, ReturnType<typeof summary>> = {
  "grains, mixed errors": {"opsByType":{"merge":2,"split":1,"polygon":1},"sequence":"split merge polygon merge","operations":4,"stoppedBy":"target","grains":14,"finalScore":1,"map":72109728},
  "grains, mixed errors, with SAM": {"opsByType":{"merge":2,"split":1,"polygon":1},"sequence":"split merge polygon merge","operations":4,"stoppedBy":"target","grains":14,"finalScore":1,"map":72109728},
  "grains, two grains missing, with SAM": {"opsByType":{"samClick":1},"sequence":"samClick","operations":1,"stoppedBy":"target","grains":14,"finalScore":1,"map":875803092},
  "grains, mixed errors, capped at 2": {"opsByType":{"merge":1,"split":1},"sequence":"split merge","operations":2,"stoppedBy":"cap","grains":14,"finalScore":0.994363584,"map":4102967504},
  "grains, empty start, tries 3": {"opsByType":{"polygon":11},"sequence":"polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon","operations":11,"stoppedBy":"target","grains":14,"finalScore":0.960665043,"map":250346318},
  "phases, per cluster": {"opsByType":{"polygon":5,"setClassCluster":1},"sequence":"setClassCluster polygon polygon polygon polygon polygon","operations":6,"stoppedBy":"target","grains":43,"finalScore":0.957049892,"map":857907800},
  "phases, per segment": {"opsByType":{"polygon":7,"setClass":30},"sequence":"setClass setClass setClass setClass setClass setClass setClass setClass setClass setClass polygon setClass setClass setClass setClass polygon setClass setClass setClass setClass setClass setClass polygon polygon polygon polygon setClass setClass setClass setClass setClass setClass setClass setClass polygon setClass setClass","operations":37,"stoppedBy":"target","grains":43,"finalScore":0.953145336,"map":1116019144},
  "phases, empty start": {"opsByType":{"brush":1,"polygon":24,"setClass":1},"sequence":"polygon setClass polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon polygon brush","operations":26,"stoppedBy":"target","grains":43,"finalScore":0.801033592,"map":2876063852},
};

for (const [name, run] of Object.entries(cases)) {
  test(`refactor safety: ${name} gives the pinned operations per gesture, stop, score and map`, () => {
    assert.deepEqual(summary(run()), expected[name]);
  });
}
