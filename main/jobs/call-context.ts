// Who a service call is for: the binding runs each call inside a context that carries the
// caller's AbortSignal (the WebSocket binding aborts it when the connection closes). Long direct
// calls (imports) stop on it, and jobs started during the call are cancelled with it, so work for
// a client that has left does not go on.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CallContext {
  /** Aborted when the caller is gone (its connection closed). */
  signal: AbortSignal;
  /** A remote (web) client: the server paths in its arguments must lie inside the served roots. */
  remote?: boolean;
}

const storage = new AsyncLocalStorage<CallContext>();

/** Runs `fn` as a call on behalf of the caller that `ctx` describes. */
export function runAsCall<T>(ctx: CallContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The signal of the caller the current call runs for, if its binding gave one. */
export function callerSignal(): AbortSignal | undefined {
  return storage.getStore()?.signal;
}
