// Worker thread of the export pool: prepares one image of a dataset export at a time (items.ts)
// and hands the encoded parts back (PNG files and label maps are moved, not copied).
import { parentPort } from 'node:worker_threads';
import { toErrorData, type ServiceErrorData } from '../../app/errors';
import { prepareImage, preparedTransfer, type PrepareRequest, type PreparedImage } from './items';

export type ExportWorkerReply = { type: 'prepared'; value: PreparedImage } | { type: 'error'; message: string; error: ServiceErrorData };

const port = parentPort!;
port.on('message', (req: PrepareRequest) => {
  prepareImage(req).then(
    (value) => port.postMessage({ type: 'prepared', value } satisfies ExportWorkerReply, preparedTransfer(value)),
    (e: unknown) => port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e), error: toErrorData(e) } satisfies ExportWorkerReply),
  );
});
