// Shared pieces of the CLI commands: opening a project for one command, progress output, image lines.
import { resolve } from 'node:path';
import { GrainLabService } from '../service';
import { userDataDir } from '../paths';
import { ServiceError } from '../../app/errors';
import type { ProgressEvent } from '../../app/contract';
import type { ImageRecord } from '../../app/types';

export const VERSION = '0.1.0';

export function newService(): GrainLabService {
  return new GrainLabService({ userDataDir: userDataDir(), binding: 'web', version: VERSION });
}

export async function withProject<T>(dir: string, fn: (svc: GrainLabService) => Promise<T>): Promise<T> {
  const svc = newService();
  try {
    // The service takes absolute paths only (a relative one would be read inside the project).
    await svc.call('project.open', { path: resolve(dir) });
    return await fn(svc);
  } finally {
    await svc.dispose();
  }
}

export function progressPrinter(quiet: boolean) {
  let lastLine = '';
  return (e: ProgressEvent) => {
    if (quiet) return;
    const pct = e.total > 0 ? Math.floor((100 * e.done) / e.total) : 0;
    const line = `${e.title}: ${pct}%${e.message ? ` (${e.message})` : ''}`;
    if (line === lastLine) return;
    lastLine = line;
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
    else if (e.state !== 'running' || pct % 25 === 0) process.stderr.write(`${line}\n`);
    if (e.state !== 'running' && process.stderr.isTTY) process.stderr.write('\n');
  };
}

export function describe(im: ImageRecord): string {
  const cal = im.pixelSizeUm ? `, ${im.pixelSizeUm.toPrecision(4)} um/px` : '';
  return `${String(im.id).padStart(4)}  ${im.name}  ${im.width}x${im.height} ${im.bitDepth}-bit ${im.channels === 1 ? 'grey' : `${im.channels}ch`}${cal}  ${im.status}  ${im.segmentCount} segments`;
}


/** Runs a job started by `start` to its end, printing progress; Ctrl+C cancels it. Throws on failure or cancel. */
export async function runJob(svc: GrainLabService, jobId: string, quiet: boolean): Promise<ProgressEvent> {
  const print = progressPrinter(quiet);
  const onSigint = () => void svc.call('jobs.cancel', { jobId });
  process.once('SIGINT', onSigint);
  try {
    const end = await new Promise<ProgressEvent>((resolve) => {
      svc.on('onDidProgress', (e) => {
        if (e.jobId !== jobId) return;
        print(e);
        if (e.state !== 'running') resolve(e);
      });
    });
    if (end.state === 'cancelled') throw new ServiceError('cancelled', 'Cancelled; work finished before the cancel is saved.');
    if (end.state === 'failed') throw new ServiceError(end.error?.code ?? 'internal', end.error?.message ?? 'The job failed.');
    return end;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
