// Recognises the family of an encoder/decoder pair by loading it the way the engine will (in a SAM
// worker, on the CPU), so a model is accepted at install or import only if it will run. Loading is the
// authoritative check: onnxruntime parses the graphs and reports their real inputs and outputs.
import type { SamFamily } from '../../app/contract/sam';
import { SamEngine, type SamRuntimeInfo } from './engine';

/** The pair's runtime info (family, conventions); throws the signature error naming expected vs found. */
async function inspectPair(encoder: string, decoder: string): Promise<SamRuntimeInfo> {
  // The encoder's hash only keys embeddings; none are made here, so it is not computed.
  const engine = await SamEngine.load({ encoder, decoder, encoderSha256: 'inspect-only' }, { providers: ['cpu'], threads: 1, workerEmbeddings: 1 });
  try {
    return engine.info;
  } finally {
    await engine.dispose();
  }
}

/** The family of a pair (install.ts's PairInspector). */
export async function inspectFamily(encoder: string, decoder: string): Promise<SamFamily> {
  return (await inspectPair(encoder, decoder)).family;
}
