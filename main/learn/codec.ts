// The pixel classifier as bytes (stored in the project, exported as a .glclf file): a magic line,
// a JSON header (format, version, feature set, classes, training summary, array layout) and the
// forests' typed arrays. Reading checks everything, so a damaged file gives a clear error.
import { ServiceError } from '../../app/errors';
import { CLASSIFIER_FORMAT, CLASSIFIER_VERSION, type Classifier } from '../../app/learn/pipeline';
import { colourFeatureCount } from '../../app/learn/colour-features';
import { checkSpec, featureCount } from '../../app/learn/features';
import type { Forest } from '../../app/learn/forest';
import type { LearnClassifierInfo } from '../../app/contract/learn';

const MAGIC = 'GRAINLAB-PIXEL-CLASSIFIER\n';
const ARRAYS = ['roots', 'feature', 'threshold', 'left', 'right', 'leaf'] as const;
const TYPES = { roots: Int32Array, feature: Int16Array, threshold: Float32Array, left: Int32Array, right: Int32Array, leaf: Float32Array } as const;

export interface StoredClassifier {
  classifier: Classifier;
  /** Project class ids in the classifier's class order, names and the training summary. */
  info: LearnClassifierInfo;
}

export function encodeClassifier(s: StoredClassifier): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const layout = (f: Forest) => {
    const arrays: Record<string, [number, number]> = {};
    for (const name of ARRAYS) {
      const a = f[name];
      const b = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      // Keep every array 4-byte aligned.
      const pad = (4 - (b.length % 4)) % 4;
      arrays[name] = [offset, a.length];
      parts.push(Buffer.from(b), Buffer.alloc(pad));
      offset += b.length + pad;
    }
    return { nFeatures: f.nFeatures, nClasses: f.nClasses, nTrees: f.nTrees, arrays };
  };
  const c = s.classifier;
  const header = {
    format: c.format,
    version: c.version,
    features: c.features,
    nClasses: c.nClasses,
    contextSigmas: c.contextSigmas,
    extraFeatures: c.extraFeatures ?? 0,
    ...(c.colourSigmas?.length ? { colourSigmas: c.colourSigmas } : {}),
    ...(c.greyQuantiles ? { greyQuantiles: c.greyQuantiles } : {}),
    stage1: layout(c.stage1),
    stage2: c.stage2 ? layout(c.stage2) : null,
    info: s.info,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([Buffer.from(MAGIC, 'latin1'), len, json, ...parts]);
}

/** Decodes classifier bytes; `what` names the file or place for the error message. */
export function decodeClassifier(bytes: Uint8Array, what: string): StoredClassifier {
  const bad = (why: string) =>
    new ServiceError('invalid-argument', `${what} is not a usable GrainLab pixel classifier (${why}). Train again with 'grainlab train' or the Train tool, or export a fresh classifier.`, what);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length + 4 || buf.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) throw bad('it does not start with the classifier signature');
  const hl = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + hl > buf.length) throw bad('the file is cut short');
  let h: {
    format?: unknown; version?: unknown; features?: unknown; nClasses?: unknown; contextSigmas?: unknown; info?: unknown; extraFeatures?: unknown;
    colourSigmas?: unknown; greyQuantiles?: unknown;
    stage1?: { nFeatures: number; nClasses: number; nTrees: number; arrays: Record<string, [number, number]> }; stage2?: typeof h.stage1 | null;
  };
  try {
    h = JSON.parse(buf.subarray(start, start + hl).toString('utf8')) as typeof h;
  } catch {
    throw bad('its header is damaged');
  }
  if (h.format !== CLASSIFIER_FORMAT) throw bad('unknown format');
  if (typeof h.version !== 'number' || h.version > CLASSIFIER_VERSION) throw bad(`version ${String(h.version)} is newer than this GrainLab understands (${CLASSIFIER_VERSION})`);
  const body = buf.subarray(start + hl);
  let features;
  try {
    features = checkSpec(h.features as never);
  } catch (e) {
    throw bad(`feature set: ${(e as Error).message}`);
  }
  const nClasses = Number(h.nClasses);
  if (!Number.isInteger(nClasses) || nClasses < 2 || nClasses > 255) throw bad('class count');
  const contextSigmas = Array.isArray(h.contextSigmas) ? h.contextSigmas.map(Number) : [];
  const forest = (l: typeof h.stage1, nFeatures: number): Forest => {
    if (!l || l.nFeatures !== nFeatures || l.nClasses !== nClasses || !(l.nTrees > 0)) throw bad('forest layout');
    const out: Record<string, unknown> = { nFeatures, nClasses, nTrees: l.nTrees };
    for (const name of ARRAYS) {
      const [off, len] = l.arrays[name] ?? [-1, -1];
      const T = TYPES[name];
      if (!(off >= 0 && len >= 0 && off + len * T.BYTES_PER_ELEMENT <= body.length)) throw bad('the file is cut short');
      const copy = new Uint8Array(len * T.BYTES_PER_ELEMENT);
      copy.set(body.subarray(off, off + copy.length));
      out[name] = new T(copy.buffer);
    }
    const f = out as unknown as Forest;
    // Every node must point inside the arrays and every split at a real feature.
    const nodes = f.feature.length;
    if (f.roots.length !== f.nTrees || f.threshold.length !== nodes || f.left.length !== nodes || f.right.length !== nodes) throw bad('forest arrays disagree');
    for (const r of f.roots) if (r < 0 || r >= nodes) throw bad('tree root out of range');
    for (let i = 0; i < nodes; i++) {
      const ft = f.feature[i]!;
      if (ft >= 0) {
        if (ft >= nFeatures || f.left[i]! <= i || f.right[i]! <= i || f.left[i]! >= nodes || f.right[i]! >= nodes) throw bad('tree node out of range');
      } else if (ft !== -1 || f.threshold[i]! < 0 || (f.threshold[i]! + 1) * nClasses > f.leaf.length) throw bad('leaf out of range');
    }
    return f;
  };
  const extraFeatures = Number.isInteger(h.extraFeatures) && (h.extraFeatures as number) >= 0 && (h.extraFeatures as number) <= 4096 ? (h.extraFeatures as number) : 0;
  const colourSigmas = Array.isArray(h.colourSigmas) ? h.colourSigmas.map(Number) : [];
  if (!colourSigmas.every((v) => v > 0 && v <= 64)) throw bad('colour scales');
  const gq = Array.isArray(h.greyQuantiles) && h.greyQuantiles.length === 2 ? (h.greyQuantiles.map(Number) as [number, number]) : undefined;
  if (gq && !(gq[0] >= 0 && gq[0] < gq[1] && gq[1] <= 1)) throw bad('grey quantiles');
  const F = featureCount(features) + colourFeatureCount(colourSigmas) + extraFeatures;
  const stage1 = forest(h.stage1, F);
  const stage2 = h.stage2 ? forest(h.stage2, F + (nClasses - 1) * contextSigmas.length) : null;
  const info = h.info as LearnClassifierInfo;
  if (!info || !Array.isArray(info.classes) || info.classes.length !== nClasses) throw bad('class list');
  const fields = { ...(colourSigmas.length ? { colourSigmas } : {}), ...(gq ? { greyQuantiles: gq } : {}), ...(extraFeatures ? { extraFeatures } : {}) };
  return { classifier: { format: CLASSIFIER_FORMAT, version: h.version, features, nClasses, stage1, stage2, contextSigmas, ...fields }, info };
}
