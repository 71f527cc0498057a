// The renderer's one way to reach main/: the Electron preload when present, else the WebSocket
// binding of `npm run web`. Both give the same GrainLabClient; the UI never knows which.
import type { Args, EventName, Events, GrainLabClient, MethodName, Reply, Result } from '../app/contract';
import { ServiceError, type ServiceErrorData } from '../app/errors';
import { decodeMessage, encodeMessage, type ServerMessage } from '../app/wire';
// The one definition of what the Electron preload exposes (a type only: nothing of main/ runs here).
import type { PreloadApi } from '../main/electron/preload-api';

declare global {
  interface Window {
    grainlab?: PreloadApi;
  }
}

function unwrap<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.value;
  throw ServiceError.fromData(reply.error);
}

function electronClient(api: PreloadApi): GrainLabClient {
  return {
    call: async (method, args) => unwrap(await api.methods[method](args)) as Result<typeof method>,
    on: (event, listener) => api.on(event, listener as (p: unknown) => void),
  };
}

type ConnectionState = 'connecting' | 'open' | 'closed' | 'unauthorized';

/** WebSocket client with request ids, typed replies and automatic reconnection. */
class WebSocketClient implements GrainLabClient {
  private ws: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<EventName, Set<(p: unknown) => void>>();
  private opened: Promise<void> | null = null;
  onState: (s: ConnectionState) => void = () => {};

  constructor(private readonly url: string) {}

  private connect(): Promise<void> {
    if (this.opened) return this.opened;
    this.onState('connecting');
    this.opened = new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.binaryType = 'arraybuffer';
      let wasOpen = false;
      ws.onopen = () => {
        wasOpen = true;
        this.ws = ws;
        this.onState('open');
        resolve();
      };
      ws.onmessage = (ev) => {
        if (!(ev.data instanceof ArrayBuffer)) return;
        const msg = decodeMessage(new Uint8Array(ev.data)) as ServerMessage;
        if (msg.t === 'reply') {
          const p = this.pending.get(msg.id);
          if (!p) return;
          this.pending.delete(msg.id);
          if (msg.reply.ok) p.resolve(msg.reply.value);
          else p.reject(ServiceError.fromData(msg.reply.error as ServiceErrorData));
        } else if (msg.t === 'event') {
          this.listeners.get(msg.name)?.forEach((l) => l(msg.payload));
        }
      };
      ws.onclose = () => {
        this.ws = null;
        this.opened = null;
        for (const p of this.pending.values()) p.reject(new ServiceError('io', 'Lost the connection to GrainLab. Is `npm run web` still running?'));
        this.pending.clear();
        this.onState(wasOpen ? 'closed' : 'unauthorized');
        if (!wasOpen) reject(new ServiceError('io', 'Could not connect to GrainLab. Open the exact address (with its token) that `npm run web` printed.'));
        else setTimeout(() => void this.connect().catch(() => {}), 1000);
      };
    });
    return this.opened;
  }

  async call<M extends MethodName>(method: M, args: Args<M>): Promise<Result<M>> {
    await this.connect();
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws!.send(encodeMessage({ t: 'call', id, method, args }));
    });
  }

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    void this.connect().catch(() => {});
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (p: unknown) => void);
    return () => set!.delete(listener as (p: unknown) => void);
  }
}

let client: GrainLabClient | null = null;

export function getClient(): GrainLabClient {
  if (client) return client;
  if (window.grainlab) {
    client = electronClient(window.grainlab);
  } else {
    const params = new URLSearchParams(window.location.search);
    const token = params.get('token') ?? sessionStorage.getItem('grainlab-token') ?? '';
    if (token) sessionStorage.setItem('grainlab-token', token);
    const proto = window.location.protocol === 'https:' ? 'wss' : 'ws';
    client = new WebSocketClient(`${proto}://${window.location.host}/ws?token=${encodeURIComponent(token)}`);
  }
  return client;
}

/** Web mode (`npm run web`): no Electron preload, so no native dialogs; the folder browser stands in. */
export function isWebMode(): boolean {
  return typeof window !== 'undefined' && !window.grainlab;
}
