// Classifier files for batch use (learn.export, grainlab train --out, grainlab predict
// --classifier), in one of three formats chosen by the file's extension:
//   .onnx  an ONNX model: one ai.onnx.ml TreeEnsembleClassifier per stage ("features" [N, F] ->
//          "probabilities" [N, C]; with auto-context also "features_context" [N, F + K] ->
//          "probabilities_context"), and GrainLab's header (feature set, classes, context scales,
//          training summary) in the metadata key "grainlab.classifier". Runs in any ONNX runtime.
//   .json  the header and the forests' arrays as plain JSON.
//   other  GrainLab's binary classifier (codec.ts; .glclf).
// Reading checks everything through the binary codec, so every format gets the same checks.
import onnxProto from 'onnx-proto';
import { extname } from 'node:path';
import { ServiceError } from '../../app/errors';
import type { Forest } from '../../app/learn/forest';
import { featureCount } from '../../app/learn/features';
import { decodeClassifier, encodeClassifier, type StoredClassifier } from './codec';
import { forestFromNode, forestGraph, onnxModel } from './onnx-forest';

export type ClassifierFileFormat = 'onnx' | 'json' | 'glclf';
const META_KEY = 'grainlab.classifier';
const ARRAYS = ['roots', 'feature', 'threshold', 'left', 'right', 'leaf'] as const;

export function formatOf(file: string): ClassifierFileFormat {
  const e = extname(file).toLowerCase();
  return e === '.onnx' ? 'onnx' : e === '.json' ? 'json' : 'glclf';
}

/**
 * Everything of the classifier but its forests (feature set, classes, context scales, extra maps,
 * grey stretch, ...), its training summary, and each stage's feature count (so a reader needs no
 * knowledge of how the features are counted).
 */
function header(s: StoredClassifier) {
  const { stage1, stage2, ...rest } = s.classifier;
  return { ...rest, info: s.info, stage1Features: stage1.nFeatures, stage2Features: stage2?.nFeatures ?? null };
}

type ForestJson = { nFeatures: number; nClasses: number; nTrees: number } & Record<(typeof ARRAYS)[number], number[]>;
const forestJson = (f: Forest): ForestJson => ({ nFeatures: f.nFeatures, nClasses: f.nClasses, nTrees: f.nTrees, ...(Object.fromEntries(ARRAYS.map((k) => [k, Array.from(f[k])])) as Record<(typeof ARRAYS)[number], number[]>) });

export function encodeClassifierFile(s: StoredClassifier, format: ClassifierFileFormat): Uint8Array {
  if (format === 'glclf') return encodeClassifier(s);
  const c = s.classifier;
  if (format === 'json') return new TextEncoder().encode(`${JSON.stringify({ ...header(s), stage1: forestJson(c.stage1), stage2: c.stage2 ? forestJson(c.stage2) : null })}\n`);
  const parts = [forestGraph(c.stage1, 'stage1', 'features', ['label', 'probabilities'])];
  if (c.stage2) parts.push(forestGraph(c.stage2, 'stage2', 'features_context', ['label_context', 'probabilities_context']));
  const doc =
    'GrainLab pixel classifier. Input "features" (rows = pixels): the filter bank of the metadata\'s feature set, computed on the grey stretched so that the metadata\'s greyQuantiles of the image become 0 and 1 (when given), then the colour features (colourSigmas) and the extra maps (extraFeatures), when given. ' +
    (c.stage2 ? 'Second stage: "features_context" = those features followed by the first stage\'s probabilities of every class but the last, each smoothed at the context scales.' : '');
  return onnxModel(parts, doc, { [META_KEY]: JSON.stringify(header(s)) });
}

/** Decodes a classifier file of the given format; `what` names it in errors. */
export function decodeClassifierFile(bytes: Uint8Array, format: ClassifierFileFormat, what: string): StoredClassifier {
  if (format === 'glclf') return decodeClassifier(bytes, what);
  const bad = (why: string) => new ServiceError('invalid-argument', `${what} is not a usable GrainLab pixel classifier (${why}). Export a fresh one with 'grainlab train --out <file>'.`, what);
  let h: ReturnType<typeof header>;
  let stage1: Forest;
  let stage2: Forest | null;
  try {
    if (format === 'json') {
      const j = JSON.parse(new TextDecoder().decode(bytes)) as ReturnType<typeof header> & { stage1: ForestJson; stage2: ForestJson | null };
      const forest = (f: ForestJson): Forest => ({
        nFeatures: f.nFeatures,
        nClasses: f.nClasses,
        nTrees: f.nTrees,
        roots: Int32Array.from(f.roots),
        feature: Int16Array.from(f.feature),
        threshold: Float32Array.from(f.threshold),
        left: Int32Array.from(f.left),
        right: Int32Array.from(f.right),
        leaf: Float32Array.from(f.leaf),
      });
      h = j;
      stage1 = forest(j.stage1);
      stage2 = j.stage2 ? forest(j.stage2) : null;
    } else {
      const model = onnxProto.onnx.ModelProto.decode(bytes);
      const meta = model.metadataProps?.find((p) => p.key === META_KEY)?.value;
      if (!meta) throw new Error('it has no GrainLab metadata; only classifiers GrainLab exported can be read back');
      h = JSON.parse(meta) as ReturnType<typeof header>;
      const nodes = model.graph?.node ?? [];
      const F = h.stage1Features ?? featureCount(h.features);
      const n1 = nodes.find((n) => n.name === 'stage1');
      const n2 = nodes.find((n) => n.name === 'stage2');
      if (!n1) throw new Error('no first-stage forest');
      stage1 = forestFromNode(n1, F);
      stage2 = n2 ? forestFromNode(n2, h.stage2Features ?? F + (h.nClasses - 1) * h.contextSigmas.length) : null;
    }
  } catch (e) {
    if (e instanceof ServiceError) throw e;
    throw bad(e instanceof Error ? e.message : String(e));
  }
  // Through the binary codec, whose reader checks every array and node.
  const { info, stage1Features: _f1, stage2Features: _f2, ...rest } = h;
  const bin = encodeClassifier({ classifier: { ...rest, stage1, stage2 } as StoredClassifier['classifier'], info });
  return decodeClassifier(bin, what);
}
