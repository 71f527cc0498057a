// The SAM worker thread: owns the onnxruntime sessions (session.run blocks its thread) and the last few
// embeddings, and answers SamEngine's requests one at a time, in order.
import { parentPort, workerData } from 'node:worker_threads';
import { ServiceError, toErrorData } from '../../app/errors';
import type { FrameGeometry } from './preprocess';
import { EMBEDDING_MISSING, transferList, type WorkerReply, type WorkerRequest, type WorkerRequests } from './protocol';
import { SamRuntime } from './runtime';

interface Held {
  data: Float32Array;
  geometry: FrameGeometry;
}

const port = parentPort;
if (port === null) throw new Error('main/sam/worker.ts must run as a worker thread.');
const config = (workerData ?? {}) as { heldEmbeddings?: number };
const maxHeld = Math.max(1, config.heldEmbeddings ?? 4);

let runtime: SamRuntime | null = null;
const held = new Map<string, Held>();

function hold(key: string, value: Held): void {
  held.delete(key);
  held.set(key, value);
  while (held.size > maxHeld) held.delete(held.keys().next().value!);
}

function need(): SamRuntime {
  if (runtime === null) throw new ServiceError('internal', 'The SAM worker has no model loaded.');
  return runtime;
}

type Handled = { value: unknown; transfer: ArrayBuffer[] };

async function handle(req: WorkerRequest): Promise<Handled> {
  switch (req.type) {
    case 'load': {
      if (runtime !== null) await runtime.release();
      runtime = null;
      held.clear();
      runtime = await SamRuntime.load(req.args.files, req.args.options);
      return { value: runtime.info, transfer: [] };
    }
    case 'embed': {
      const r = await need().embed(req.args.raster, req.args.options);
      hold(req.args.key, { data: r.data, geometry: r.geometry });
      // The worker keeps its copy for decoding; the client gets its own (4 MB, transferred).
      const copy = r.data.slice();
      const value: WorkerRequests['embed']['value'] = { data: copy, geometry: r.geometry, timing: r.timing };
      return { value, transfer: [copy.buffer] };
    }
    case 'decode': {
      const { key, geometry, embedding, prompts, options } = req.args;
      if (embedding !== undefined) hold(key, { data: embedding, geometry });
      const h = held.get(key);
      if (h === undefined) throw new ServiceError('not-found', EMBEDDING_MISSING);
      hold(key, h);
      const rt = need();
      const results: WorkerRequests['decode']['value'] = [];
      for (const p of prompts) results.push(await rt.decode(h.data, h.geometry, p, options));
      return { value: results, transfer: transferList(results.flatMap((r) => [r.masks, r.lowRes, r.iou])) };
    }
    case 'dispose': {
      held.clear();
      if (runtime !== null) await runtime.release();
      runtime = null;
      return { value: null, transfer: [] };
    }
  }
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (req: WorkerRequest) => {
  queue = queue.then(async () => {
    let reply: WorkerReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const r = await handle(req);
      reply = { id: req.id, ok: true, value: r.value };
      transfer = r.transfer;
    } catch (e) {
      reply = { id: req.id, ok: false, error: toErrorData(e) };
    }
    port.postMessage(reply, transfer);
  });
});
