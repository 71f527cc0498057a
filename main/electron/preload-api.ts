// Builds the object the preload exposes as `window.grainlab`: exactly the contract's methods and
// events, nothing else. Separate from preload.ts so a test can check the surface without Electron.
import { methodNames, eventNames, type EventName, type MethodName, type Reply } from '../../app/contract';

export const CALL_CHANNEL = 'grainlab:call';
export const EVENT_CHANNEL_PREFIX = 'grainlab:event:';

/** The part of Electron's ipcRenderer the preload needs. */
export interface IpcLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): void;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void;
}

interface PreloadApi {
  methods: Record<MethodName, (args: unknown) => Promise<Reply<unknown>>>;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
}

export function buildPreloadApi(ipc: IpcLike): PreloadApi {
  const methods = {} as PreloadApi['methods'];
  for (const m of methodNames) {
    methods[m] = (args: unknown) => ipc.invoke(CALL_CHANNEL, m, args) as Promise<Reply<unknown>>;
  }
  Object.freeze(methods);
  const on = (event: EventName, listener: (payload: unknown) => void) => {
    if (!eventNames.includes(event)) throw new Error(`Unknown event '${String(event)}'`);
    // Never hand the IpcRendererEvent (and its sender) to the page: payload only.
    const wrapped = (_e: unknown, payload: unknown) => listener(payload);
    ipc.on(EVENT_CHANNEL_PREFIX + event, wrapped);
    return () => ipc.removeListener(EVENT_CHANNEL_PREFIX + event, wrapped);
  };
  return Object.freeze({ methods, on });
}
