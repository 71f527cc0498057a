// Toast messages (errors stay until dismissed, notes go after 4 s) and the error reporter every
// other hook uses.
import { useCallback, useRef, useState } from 'react';
import { ServiceError } from '../../app/errors';
import type { Toast } from '../components/Jobs';

export function errorText(e: unknown): string {
  if (e instanceof ServiceError) return e.message;
  return e instanceof Error ? e.message : String(e);
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
    setToasts((t) => (t.some((x) => x.kind === kind && x.text === text) ? t : [...t.slice(-4), { id, kind, text }]));
    if (kind === 'info') setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 4000);
  }, []);
  const onError = useCallback((e: unknown) => toast('error', errorText(e)), [toast]);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  return { toasts, toast, onError, dismiss };
}
