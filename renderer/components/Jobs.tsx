// Progress of long work (segmentation, imports) with cancel, and dismissible error/info toasts.
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

export function Toasts({ toasts, onDismiss }: { toasts: Toast[]; onDismiss(id: number): void }) {
  return (
    <div className="toasts" role="status">
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
