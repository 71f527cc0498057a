// Follows one job's progress events. Events of a job can arrive before the call that started it
// returns its id, so recent events of every job are kept and the tracked one is picked from them.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ProgressEvent } from '../../../app/contract';
import { getClient } from '../../client';

export function useJob(): { event: ProgressEvent | null; track(jobId: string | null): void; cancel(): void } {
  const client = getClient();
  const recent = useRef(new Map<string, ProgressEvent>());
  const tracked = useRef<string | null>(null);
  const [event, setEvent] = useState<ProgressEvent | null>(null);

  useEffect(
    () =>
      client.on('onDidProgress', (e) => {
        recent.current.set(e.jobId, e);
        if (recent.current.size > 50) recent.current.delete(recent.current.keys().next().value!);
        if (e.jobId === tracked.current) setEvent(e);
      }),
    [client],
  );

  const track = useCallback((jobId: string | null) => {
    tracked.current = jobId;
    setEvent(jobId ? (recent.current.get(jobId) ?? null) : null);
  }, []);

  const cancel = useCallback(() => {
    if (tracked.current) void client.call('jobs.cancel', { jobId: tracked.current });
  }, [client]);

  return { event, track, cancel };
}

export function percent(e: ProgressEvent | null): number {
  return e && e.total > 0 ? Math.round((100 * e.done) / e.total) : 0;
}
