// Batch handlers: folding `grainlab batch` shard results into the open project (main/batch/merge.ts).
import { mergeShards } from '../batch/merge';
import { callerSignal } from '../jobs/call-context';
import type { Handlers, ServiceContext } from './context';

export type BatchMethods = 'batch.merge';

export function batchHandlers(ctx: ServiceContext): Handlers<BatchMethods> {
  return {
    'batch.merge': (a) => mergeShards(ctx, a.shards, a.keep, callerSignal()),
  };
}
