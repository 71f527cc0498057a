// Progress of long work (segmentation, imports) with cancel, and dismissible error/info toasts.
import { useEffect, useState } from 'react';
import type { ProgressEvent } from '../../app/contract';
import { getClient } from '../client';
import type { Toast } from '../workspace/toasts';

export function JobsPanel({ jobs }: { jobs: ProgressEvent[] }) {
  if (jobs.length === 0) return null;
  return (
    <div className="jobs" data-testid="jobs">
      {jobs.map((j) => {
        const pct = j.total > 0 ? Math.round((100 * j.done) / j.total) : 0;
        return (
          <div key={j.jobId} className={`job job-${j.state}`}>
            <div className="job-head">
              <span className="job-title">{j.title}</span>
              {j.state === 'running' ? (
                <button className="small" onClick={() => void getClient().call('jobs.cancel', { jobId: j.jobId })} data-testid="job-cancel">
                  Cancel
                </button>
              ) : (
                <span className="job-state">{j.state}</span>
              )}
            </div>
            <progress max={100} value={pct} />
            <div className="job-msg">{j.error?.message ?? j.message ?? `${pct}%`}</div>
          </div>
        );
      })}
    </div>
  );
}

/**
 * How far above the window's foot the toasts must start to stay clear of the jobs card (which sits
 * at the stage's bottom right and grows with its jobs): above its top when it is there, else null.
 * Watched only while toasts are shown.
 */
function useJobsClearance(active: boolean): number | null {
  const [bottom, setBottom] = useState<number | null>(null);
  useEffect(() => {
    if (!active) return;
    let frame = 0;
    const measure = () => {
      frame = 0;
      const card = document.querySelector('.jobs');
      setBottom(card ? Math.ceil(window.innerHeight - card.getBoundingClientRect().top) + 8 : null);
    };
    const later = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    measure();
    const mo = new MutationObserver(later);
    mo.observe(document.body, { childList: true, subtree: true });
    window.addEventListener('resize', later);
    return () => {
      mo.disconnect();
      window.removeEventListener('resize', later);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [active]);
  return active ? bottom : null;
}

export function Toasts({ toasts, onDismiss }: { toasts: Toast[]; onDismiss(id: number): void }) {
  const clearance = useJobsClearance(toasts.length > 0);
  return (
    <div className="toasts" role="status" data-testid="toasts" style={clearance !== null ? { bottom: Math.max(40, clearance) } : undefined}>
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} data-testid={`toast-${t.kind}`}>
          <span>{t.text}</span>
          <button className="small" onClick={() => onDismiss(t.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
