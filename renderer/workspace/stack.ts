// The slice stack of the open image (null when it is a single image): its slices in z order and
// where the open image sits among them. Asked again when another image opens or images change
// (a stack made by an import, a slice removed).
import { useCallback, useEffect, useState } from 'react';
import type { GrainLabClient, StackInfo } from '../../app/contract';

export interface StackState {
  stack: StackInfo | null;
  /** The open image's slice index (0-based) in the stack, -1 when none. */
  index: number;
  refresh(): void;
}

export function useStack(client: GrainLabClient, imageId: number | null, onError: (e: unknown) => void): StackState {
  const [stack, setStack] = useState<StackInfo | null>(null);
  const [version, setVersion] = useState(0);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  useEffect(() => {
    let live = true;
    if (imageId === null) {
      setStack(null);
      return;
    }
    // The stack of the new image may be the same one: keep showing it until the answer comes.
    client.call('stacks.ofImage', { imageId }).then(
      (s) => live && setStack(s),
      (e: unknown) => {
        if (live) setStack(null);
        // An image removed meanwhile is no error worth a toast.
        if ((e as { code?: string }).code !== 'not-found') onError(e);
      },
    );
    return () => {
      live = false;
    };
  }, [client, imageId, version, onError]);
  useEffect(() => client.on('onDidChangeImage', (e) => e.reason !== 'segmented' && refresh()), [client, refresh]);
  return { stack, index: stack && imageId !== null ? stack.imageIds.indexOf(imageId) : -1, refresh };
}
