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

/**
 * Progress lines on stderr. On a terminal one line is redrawn in place; anywhere else (a log
 * file, a pipe, CI) every line is plain text ending in a newline, without carriage returns or
 * escape codes, and repeats of the same line are dropped.
 */
export class ProgressWriter {
  private last = '';
  private open = false;
  constructor(
    private readonly out: { write(s: string): unknown; isTTY?: boolean } = process.stderr,
    private readonly quiet = false,
  ) {}

  /** Shows `line`; `important` lines (first, last, milestones) are always written to logs. */
  update(line: string, important = true): void {
    if (this.quiet || line === this.last) return;
    this.last = line;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[K${line}`);
      this.open = true;
    } else if (important) this.out.write(`${line}\n`);
  }

  /** Ends the line being redrawn (terminal only); call before printing results. */
  end(): void {
    if (this.open) this.out.write('\n');
    this.open = false;
  }
}

export function progressPrinter(quiet: boolean, out: { write(s: string): unknown; isTTY?: boolean } = process.stderr) {
  const w = new ProgressWriter(out, quiet);
  let lastPct = -1;
  return (e: ProgressEvent) => {
    const pct = e.total > 0 ? Math.floor((100 * e.done) / e.total) : 0;
    const line = `${e.title}: ${pct}%${e.message ? ` (${e.message})` : ''}`;
    // In logs: the start, every 10 %, and the end.
    const milestone = e.state !== 'running' || lastPct < 0 || Math.floor(pct / 10) !== Math.floor(lastPct / 10);
    if (milestone) lastPct = pct;
    w.update(line, milestone);
    if (e.state !== 'running') w.end();
  };
}

/** One line per image; `calibrationNote` (where the pixel size came from) follows the pixel size. */
export function describe(im: ImageRecord, calibrationNote = ''): string {
  const cal = im.pixelSizeUm ? `, ${im.pixelSizeUm.toPrecision(4)} um/px${calibrationNote}` : '';
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
