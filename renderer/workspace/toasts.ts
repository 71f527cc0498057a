// Toast messages (notes go after 4 s, errors after 12 s or when dismissed; at most three shown,
// the oldest go first) and the error reporter every other hook uses.
import { useCallback, useRef, useState } from 'react';
import { ServiceError } from '../../app/errors';

export function errorText(e: unknown): string {
  if (e instanceof ServiceError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

/** Toasts shown at once; a newer one pushes the oldest out. */
export const MAX_TOASTS = 3;
const LIFETIME_MS = { info: 4000, error: 12000 } as const;

/** The list after adding a toast: the same message twice is shown once; at most MAX_TOASTS, newest last. */
export function addToast(list: readonly Toast[], t: Toast): Toast[] {
  if (list.some((x) => x.kind === t.kind && x.text === t.text)) return [...list];
  return [...list.slice(-(MAX_TOASTS - 1)), t];
}

export interface Toasts {
  toasts: Toast[];
  toast(kind: Toast['kind'], text: string): void;
  onError(e: unknown): void;
  dismiss(id: number): void;
}

export function useToasts(): Toasts {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);
  const toast = useCallback((kind: Toast['kind'], text: string) => {
    const id = nextId.current++;
    // The same message twice (several calls failing for one reason) is shown once.
    setToasts((t) => addToast(t, { id, kind, text }));
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), LIFETIME_MS[kind]);
  }, []);
  const onError = useCallback((e: unknown) => toast('error', errorText(e)), [toast]);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  return { toasts, toast, onError, dismiss };
}
