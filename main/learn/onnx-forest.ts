// The pixel classifier's forests as ONNX models (ai.onnx.ml TreeEnsembleClassifier) run with
// onnxruntime-node: native, multi-threaded tree evaluation instead of the JS walker. The model's
// input is "features" [N, F] (row-major, one pixel per row, the filter bank of app/learn/features
// in featureNames order, then the context maps for a second stage); its outputs are "label"
// [N] (int64) and "probabilities" [N, C]. Each leaf holds its class distribution divided by the
// tree count, so the sum over trees is the JS forest's mean. The same bytes are what
// `grainlab train --out x.onnx` writes, for batch use with any ONNX runtime.
import onnxProto from 'onnx-proto';
import type { InferenceSession as Session } from 'onnxruntime-node';
import type { Forest } from '../../app/learn/forest';

const { onnx } = onnxProto;
const A = onnx.AttributeProto.AttributeType;

const ints = (name: string, v: ArrayLike<number>) => ({ name, type: A.INTS, ints: Array.from(v) });
const floats = (name: string, v: ArrayLike<number>) => ({ name, type: A.FLOATS, floats: Array.from(v) });
const strings = (name: string, v: string[]) => ({ name, type: A.STRINGS, strings: v.map((s) => new TextEncoder().encode(s)) });
const str = (name: string, s: string) => ({ name, type: A.STRING, s: new TextEncoder().encode(s) });

function valueInfo(name: string, elemType: number, dims: (number | string)[]) {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

type NodeProto = onnxProto.onnx.INodeProto;
type ValueInfo = ReturnType<typeof valueInfo>;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** The TreeEnsembleClassifier node of one forest, reading `input` [N, F]. */
function forestNode(f: Forest, name: string, input: string, outputs: [string, string]): NodeProto {
  const nodes = f.feature.length;
  const C = f.nClasses;
  const treeOf = new Int32Array(nodes);
  for (let t = 0; t < f.nTrees; t++) {
    const end = t + 1 < f.nTrees ? f.roots[t + 1]! : nodes;
    for (let i = f.roots[t]!; i < end; i++) treeOf[i] = t;
  }
  // Node ids are local to their tree (tree t's nodes are the range roots[t]..roots[t+1]).
  const local = (i: number) => i - f.roots[treeOf[i]!]!;
  const nodeIds = new Int32Array(nodes);
  const featureIds = new Int32Array(nodes);
  const values = new Float32Array(nodes);
  const modes: string[] = [];
  const trueIds = new Int32Array(nodes);
  const falseIds = new Int32Array(nodes);
  const cTree: number[] = [];
  const cNode: number[] = [];
  const cId: number[] = [];
  const cWeight: number[] = [];
  const inv = 1 / f.nTrees;
  for (let i = 0; i < nodes; i++) {
    nodeIds[i] = local(i);
    const ft = f.feature[i]!;
    if (ft >= 0) {
      featureIds[i] = ft;
      values[i] = f.threshold[i]!;
      modes.push('BRANCH_LT');
      trueIds[i] = local(f.left[i]!);
      falseIds[i] = local(f.right[i]!);
    } else {
      modes.push('LEAF');
      const l = f.threshold[i]! * C;
      for (let c = 0; c < C; c++) {
        cTree.push(treeOf[i]!);
        cNode.push(local(i));
        cId.push(c);
        cWeight.push(f.leaf[l + c]! * inv);
      }
    }
  }
  return {
    opType: 'TreeEnsembleClassifier',
    domain: 'ai.onnx.ml',
    name,
    input: [input],
    output: outputs,
    attribute: [
      ints('nodes_treeids', treeOf),
      ints('nodes_nodeids', nodeIds),
      ints('nodes_featureids', featureIds),
      floats('nodes_values', values),
      strings('nodes_modes', modes),
      ints('nodes_truenodeids', trueIds),
      ints('nodes_falsenodeids', falseIds),
      ints('class_treeids', cTree),
      ints('class_nodeids', cNode),
      ints('class_ids', cId),
      floats('class_weights', cWeight),
      ints('classlabels_int64s', Array.from({ length: C }, (_, c) => c)),
      str('post_transform', 'NONE'),
    ],
  };
}

/** One forest's input and outputs: features [N, F] in, label [N] and probabilities [N, C] out. */
export function forestGraph(f: Forest, name: string, input: string, outputs: [string, string]): { node: NodeProto; inputs: ValueInfo[]; outputs: ValueInfo[] } {
  return {
    node: forestNode(f, name, input, outputs),
    inputs: [valueInfo(input, FLOAT, ['N', f.nFeatures])],
    outputs: [valueInfo(outputs[0], INT64, ['N']), valueInfo(outputs[1], FLOAT, ['N', f.nClasses])],
  };
}

/** ONNX model bytes of one or more forests (each its own input and outputs) with metadata. */
export function onnxModel(parts: ReturnType<typeof forestGraph>[], doc: string, metadata: Record<string, string> = {}): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    producerName: 'grainlab',
    producerVersion: '1',
    docString: doc,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'grainlab_pixel_classifier',
      node: parts.map((p) => p.node),
      input: parts.flatMap((p) => p.inputs),
      output: parts.flatMap((p) => p.outputs),
    },
  });
  return Uint8Array.from(onnx.ModelProto.encode(model).finish());
}

/** One forest as ONNX model bytes: "features" [N, F] in, "label" and "probabilities" out. */
export function forestToOnnx(f: Forest, doc = ''): Uint8Array {
  return onnxModel([forestGraph(f, 'forest', 'features', ['label', 'probabilities'])], doc);
}

/** A forest back from a TreeEnsembleClassifier node written by forestNode (leaf weights x trees). */
export function forestFromNode(node: NodeProto, nFeatures: number): Forest {
  const attr = new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
  const num = (name: string): number[] => (attr.get(name)?.ints ?? []).map((v) => (typeof v === 'number' ? v : Number(String(v))));
  const flo = (name: string): number[] => attr.get(name)?.floats ?? [];
  const treeIds = num('nodes_treeids');
  const nodeIds = num('nodes_nodeids');
  const featureIds = num('nodes_featureids');
  const values = flo('nodes_values');
  const modes = (attr.get('nodes_modes')?.strings ?? []).map((b) => new TextDecoder().decode(b));
  const trueIds = num('nodes_truenodeids');
  const falseIds = num('nodes_falsenodeids');
  const nClasses = num('classlabels_int64s').length;
  const nodes = treeIds.length;
  const nTrees = nodes ? Math.max(...treeIds) + 1 : 0;
  const roots = new Int32Array(nTrees).fill(-1);
  for (let i = 0; i < nodes; i++) if (nodeIds[i] === 0) roots[treeIds[i]!] = i;
  const glob = (t: number, local: number) => roots[t]! + local;
  const feature = new Int16Array(nodes);
  const threshold = new Float32Array(nodes);
  const left = new Int32Array(nodes).fill(-1);
  const right = new Int32Array(nodes).fill(-1);
  const leafAt = new Map<number, number>();
  for (let i = 0; i < nodes; i++) {
    if (glob(treeIds[i]!, nodeIds[i]!) !== i) throw new RangeError('tree nodes are not stored in order');
    if (modes[i] === 'LEAF') {
      feature[i] = -1;
      leafAt.set(i, leafAt.size);
      threshold[i] = leafAt.size - 1;
    } else {
      feature[i] = featureIds[i]!;
      threshold[i] = values[i]!;
      left[i] = glob(treeIds[i]!, trueIds[i]!);
      right[i] = glob(treeIds[i]!, falseIds[i]!);
    }
  }
  const leaf = new Float32Array(leafAt.size * nClasses);
  const ct = num('class_treeids');
  const cn = num('class_nodeids');
  const ci = num('class_ids');
  const cw = flo('class_weights');
  for (let k = 0; k < ct.length; k++) {
    const at = leafAt.get(glob(ct[k]!, cn[k]!));
    if (at === undefined) throw new RangeError('a class weight names no leaf');
    leaf[at * nClasses + ci[k]!] = cw[k]! * nTrees;
  }
  return { nFeatures, nClasses, nTrees, roots, feature, threshold, left, right, leaf };
}

type Ort = typeof import('onnxruntime-node');
let ortLoad: Promise<Ort> | null = null;
/** onnxruntime-node, loaded once on first use (a failure is remembered and reported by callers). */
function loadOrt(): Promise<Ort> {
  ortLoad ??= import('onnxruntime-node');
  return ortLoad;
}

/** A forest running in onnxruntime; predict() has the JS forest's calling convention. */
export class OnnxForest {
  private constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    readonly nFeatures: number,
    readonly nClasses: number,
  ) {}

  static async create(f: Forest, threads?: number): Promise<OnnxForest> {
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(forestToOnnx(f), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // No busy-waiting between runs: the machine is shared with the feature code and the UI.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
      ...(threads ? { intraOpNumThreads: threads } : {}),
    });
    return new OnnxForest(ort, session, f.nFeatures, f.nClasses);
  }

  /**
   * Class probabilities, class-major (out[c*npx + i]), for npx pixels with feature-major maps
   * (x[f*npx + i]), like predictForest.
   */
  async predict(x: Float32Array, npx: number): Promise<Float32Array> {
    const F = this.nFeatures;
    const C = this.nClasses;
    if (x.length < F * npx) throw new RangeError('feature maps do not match the classifier');
    const rows = new Float32Array(npx * F);
    // Transposed in strips of pixels so reads and writes stay in cache.
    const S = 256;
    for (let s = 0; s < npx; s += S) {
      const e = Math.min(npx, s + S);
      for (let f = 0; f < F; f++) {
        const src = f * npx;
        for (let i = s; i < e; i++) rows[i * F + f] = x[src + i]!;
      }
    }
    const input = new this.ort.Tensor('float32', rows, [npx, F]);
    const r = await this.session.run({ features: input }, ['probabilities']);
    const p = r.probabilities!.data as Float32Array;
    const out = new Float32Array(C * npx);
    for (let i = 0; i < npx; i++) for (let c = 0; c < C; c++) out[c * npx + i] = p[i * C + c]!;
    input.dispose?.();
    r.probabilities!.dispose?.();
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
