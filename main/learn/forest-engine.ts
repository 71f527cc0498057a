// Which evaluator runs the pixel classifier's trees: onnxruntime (the forest compiled to an ONNX
// TreeEnsembleClassifier, native and multi-threaded) when it loads, else the JS forest with a
// clear message why. Sessions are kept for the last few forests (live use predicts repeatedly).
import type { Forest } from '../../app/learn/forest';
import { jsForest, type ForestEval } from '../../app/learn/predict-tiled';
import type { OnnxForest } from './onnx-forest';

export interface ForestEngine {
  name: 'onnxruntime' | 'js';
  evaluate: ForestEval;
  /** Why onnxruntime is not used (null when it is). */
  fallback: string | null;
}

/** A cheap identity for a forest that survives structured cloning between threads. */
function fingerprint(f: Forest): string {
  let h = 0;
  for (let i = 0; i < f.threshold.length; i += 7) h = (Math.imul(h, 31) + Math.round(f.threshold[i]! * 1e6) + f.feature[i]!) | 0;
  return `${f.nTrees}:${f.nFeatures}:${f.nClasses}:${f.feature.length}:${f.leaf.length}:${h}`;
}

const sessions = new Map<string, Promise<OnnxForest>>();
let broken: string | null = null;

async function session(f: Forest): Promise<OnnxForest> {
  const key = fingerprint(f);
  let s = sessions.get(key);
  if (!s) {
    // Loaded only when asked for, so the default (JS) path never loads onnxruntime in this worker.
    s = import('./onnx-forest').then(({ OnnxForest: Onnx }) => Onnx.create(f));
    sessions.set(key, s);
    while (sessions.size > 4) {
      const [oldKey, old] = sessions.entries().next().value!;
      sessions.delete(oldKey);
      void old.then((o) => o.release()).catch(() => undefined);
    }
  }
  return s;
}

/**
 * The JS forest unless GRAINLAB_FOREST=onnxruntime: on the 2-core test machine it cost less CPU
 * (3.7 against 5.3 CPU s/MP, learn-speed bench), and onnxruntime in this worker aborted the
 * process once when the worker was ended during a prediction (a native Napi::Error in CI).
 */
function defaultEngine(): 'onnxruntime' | 'js' {
  return process.env.GRAINLAB_FOREST === 'onnxruntime' ? 'onnxruntime' : 'js';
}

/**
 * The engine for a classifier's forests: onnxruntime unless it failed to load before or fails now
 * (checked by creating the first forest's session), or `prefer` is 'js'.
 */
export async function forestEngine(first: Forest, prefer: 'onnxruntime' | 'js' = defaultEngine()): Promise<ForestEngine> {
  // Asked for (GRAINLAB_FOREST=js or the caller): a choice, not a fallback, so nothing to report.
  if (prefer === 'js') return { name: 'js', evaluate: jsForest, fallback: null };
  if (!broken) {
    try {
      await session(first);
    } catch (e) {
      sessions.clear();
      broken = `onnxruntime could not run the forest (${e instanceof Error ? e.message : String(e)}); the pixel classifier predicts with its JS forest, which gives the same classes but is slower`;
    }
  }
  if (broken) return { name: 'js', evaluate: jsForest, fallback: broken };
  return { name: 'onnxruntime', evaluate: async (f, x, npx) => (await session(f)).predict(x, npx), fallback: null };
}
