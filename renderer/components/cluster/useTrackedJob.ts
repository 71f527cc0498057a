// One long service job started from a panel (clustering, apply-to-other-images, pixel k-means):
// whether it runs, its progress, cancel, and a callback when it finished. Failures are already
// shown by the workspace's job list, so they are not reported twice.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ProgressEvent } from '../../../app/contract';
import { useJob } from '../export/useJob';

export interface TrackedJob {
  running: boolean;
  event: ProgressEvent | null;
  start(begin: () => Promise<{ jobId: string }>, onDone: () => void): Promise<void>;
  cancel(): void;
}

export function useTrackedJob(onError: (e: unknown) => void): TrackedJob {
  const job = useJob();
  const [running, setRunning] = useState(false);
  const onDone = useRef<(() => void) | null>(null);
  const { event, track, cancel } = job;

  useEffect(() => {
    if (!event || event.state === 'running') return;
    const fn = onDone.current;
    onDone.current = null;
    track(null);
    setRunning(false);
    if (event.state === 'done') fn?.();
  }, [event, track]);

  const start = useCallback(
    async (begin: () => Promise<{ jobId: string }>, done: () => void) => {
      setRunning(true);
      try {
        const { jobId } = await begin();
        onDone.current = done;
        track(jobId);
      } catch (e) {
        setRunning(false);
        onError(e);
      }
    },
    [track, onError],
  );

  return { running, event: running ? event : null, start, cancel };
}
