// One WebSocket client of the web binding: its calls run through the service with bounded queues.
// At most `maxInFlight` calls of a client run at once, and none starts while more than
// `highWaterBytes` of its replies wait to be sent; further frames then stay unread in the socket,
// so TCP slows the client down instead of the server buffering without bound. A client that stops
// reading is dropped once its queue has not moved for `stallMs`. When the connection closes, its
// signal aborts: imports stop and the jobs its calls started are cancelled.
import type { WebSocket, RawData } from 'ws';
import { isMethodName, type Reply } from '../../app/contract';
import { toErrorData } from '../../app/errors';
import { decodeMessage, encodeMessage, type ServerMessage } from '../../app/wire';
import type { GrainLabService } from '../service';

export interface ConnectionLimits {
  /** Calls of one client running at once. */
  maxInFlight: number;
  /** Bytes of replies and events waiting to be sent to one client before its next calls wait. */
  highWaterBytes: number;
  /** A client whose waiting replies have not moved for this long (while above the mark) is dropped. */
  stallMs: number;
  /** Clients connected at once; more are refused with 503. */
  maxConnections: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxInFlight: 16,
  highWaterBytes: 16 * 2 ** 20,
  stallMs: 60_000,
  maxConnections: 32,
};

// WebSocket close codes (RFC 6455): unsupported data, policy violation.
const UNSUPPORTED = 1003;
const POLICY = 1008;

export class Connection {
  private readonly controller = new AbortController();
  private inFlight = 0;
  /** Frames already read off the socket (ws delivers what it had buffered after a pause) and not started. */
  private readonly waiting: Buffer[] = [];
  private paused = false;
  /** Bytes handed to ws.send whose write has not completed yet. */
  private queuedBytes = 0;
  private lastProgress = Date.now();

  constructor(
    private readonly ws: WebSocket,
    private readonly service: GrainLabService,
    private readonly limits: ConnectionLimits,
  ) {
    // A malformed frame (bad opcode, RSV bits, invalid UTF-8, too long) makes ws emit 'error' and
    // close the connection; without a listener the error would end the process.
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => {
      this.controller.abort();
      this.waiting.length = 0;
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Sends an event or a reply; a client that has gone is skipped. */
  send(m: ServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(m);
    } catch (e) {
      if (m.t !== 'reply') return;
      bytes = encodeMessage({ t: 'reply', id: m.id, reply: { ok: false, error: toErrorData(e) } });
    }
    this.queuedBytes += bytes.byteLength;
    this.ws.send(bytes, { binary: true }, () => {
      this.queuedBytes -= bytes.byteLength;
      this.lastProgress = Date.now();
      this.pump();
    });
  }

  /** Drops a client that stopped reading (called periodically by the server). */
  checkStalled(now: number): void {
    if (this.queuedBytes > this.limits.highWaterBytes && now - this.lastProgress > this.limits.stallMs) {
      this.ws.terminate();
    }
  }

  close(): void {
    this.ws.terminate();
  }

  /** Closes with a reason for a client that broke the protocol, and drops it if it does not answer the close. */
  private refuse(code: number, reason: string): void {
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.signal.aborted) return;
    if (!isBinary) {
      this.refuse(UNSUPPORTED, 'binary frames only');
      return;
    }
    this.waiting.push(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
    this.pump();
  }

  /** Starts waiting calls while there is room; pauses reading the socket while there is none. */
  private pump(): void {
    while (this.waiting.length > 0 && this.inFlight < this.limits.maxInFlight && this.queuedBytes <= this.limits.highWaterBytes) {
      this.start(this.waiting.shift()!);
    }
    const blocked = this.waiting.length > 0 || this.inFlight >= this.limits.maxInFlight || this.queuedBytes > this.limits.highWaterBytes;
    if (blocked && !this.paused) {
      this.paused = true;
      this.ws.pause();
    } else if (!blocked && this.paused && !this.signal.aborted) {
      this.paused = false;
      this.ws.resume();
    }
  }

  private start(bytes: Buffer): void {
    let msg: { t?: unknown; id?: unknown; method?: unknown; args?: unknown };
    try {
      msg = decodeMessage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as typeof msg;
    } catch {
      this.refuse(UNSUPPORTED, 'bad frame');
      return;
    }
    if (typeof msg !== 'object' || msg === null || msg.t !== 'call' || typeof msg.id !== 'number') {
      this.refuse(POLICY, 'not a call');
      return;
    }
    const id = msg.id;
    if (!isMethodName(msg.method)) {
      this.send({ t: 'reply', id, reply: { ok: false, error: { code: 'invalid-argument', message: `Unknown method '${String(msg.method).slice(0, 100)}'.` } } });
      return;
    }
    this.inFlight++;
    this.service
      .invoke(msg.method, msg.args, { signal: this.signal, remote: true })
      .then(
        (value) => this.send({ t: 'reply', id, reply: { ok: true, value } satisfies Reply<unknown> }),
        (e: unknown) => this.send({ t: 'reply', id, reply: { ok: false, error: toErrorData(e) } }),
      )
      .finally(() => {
        this.inFlight--;
        this.pump();
      });
  }
}
