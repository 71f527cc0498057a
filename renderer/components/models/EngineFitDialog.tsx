// "Which engine fits": every engine (classic, its presets, each installed SAM model with MatSAM and
// grid prompts, extensions) scored on this project's verified images as a job with progress and
// Cancel; the ranked table (ARI, recall@0.5, IoU per class, simulated correction effort), the
// project's current default engine, and "Use as default".
import { useCallback, useEffect, useState } from 'react';
import type { DefaultEngineInfo, EvalEngineInfo, ProjectEvalReport } from '../../../app/contract/eval';
import { getClient } from '../../client';
import { errorText, Modal } from '../export/Modal';
import { percent, useJob } from '../export/useJob';
import { engineRows } from './format';
import './models.css';

export function EngineFitDialog({ onClose, readOnly }: { onClose(): void; readOnly: boolean }) {
  const client = getClient();
  const job = useJob();
  const [engines, setEngines] = useState<EvalEngineInfo[] | null>(null);
  const [def, setDef] = useState<DefaultEngineInfo | null>(null);
  const [effort, setEffort] = useState(true);
  /** Engines left out of the next run (every engine runs by default). */
  const [skipped, setSkipped] = useState<ReadonlySet<string>>(new Set());
  const [phase, setPhase] = useState<'form' | 'running' | 'done'>('form');
  const [jobId, setJobId] = useState<string | null>(null);
  const [report, setReport] = useState<ProjectEvalReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const loadEngines = useCallback(
    () =>
      client.call('eval.engines', {}).then(
        (r) => {
          setEngines(r.engines);
          setDef(r.defaultEngine);
        },
        (e: unknown) => setError(errorText(e)),
      ),
    [client],
  );
  useEffect(() => {
    void loadEngines();
  }, [loadEngines]);

  const ev = job.event;
  useEffect(() => {
    if (phase !== 'running' || !ev || ev.state === 'running') return;
    if (ev.state === 'done') {
      client.call('eval.result', { jobId: ev.jobId }).then(
        (r) => {
          setReport(r);
          setPhase('done');
          if (!r) setError('The evaluation finished but its report is gone (only the last ones are kept); run it again.');
        },
        (e: unknown) => {
          setError(errorText(e));
          setPhase('form');
        },
      );
    } else {
      setError(ev.state === 'cancelled' ? 'Evaluation cancelled.' : (ev.error?.message ?? ev.message ?? 'The evaluation failed.'));
      setPhase('form');
    }
  }, [ev, phase, client]);

  const start = async () => {
    setError(null);
    setReport(null);
    setPhase('running');
    job.track(null);
    try {
      const chosen = engines?.filter((e) => !skipped.has(e.id)).map((e) => e.id) ?? [];
      const r = await client.call('eval.project', { effort, ...(skipped.size > 0 && chosen.length > 0 ? { engines: chosen } : {}) });
      setJobId(r.jobId);
      job.track(r.jobId);
    } catch (e) {
      setError(errorText(e));
      setPhase('form');
    }
  };

  const useAsDefault = async (engine: string | null) => {
    setBusy(true);
    setError(null);
    try {
      setDef(await client.call('eval.setDefault', engine === null && jobId ? { fromJob: jobId } : { engine: engine! }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const running = phase === 'running';
  const pct = percent(ev);
  const rows = report ? engineRows(report, def?.engine ?? null) : [];
  return (
    <Modal title="Which engine fits this project" onClose={running ? undefined : onClose} testId="engine-fit">
      <div className="gl-form gl-models">
        <p className="gl-engine-default" data-testid="engine-default">
          <span className="muted">Default engine:</span>
          {def?.engine ? (
            <>
              <b>{def.label ?? def.engine}</b>
              <span className="muted small">
                {def.source === 'eval' ? 'chosen from an evaluation' : 'chosen by a person'}
                {def.setAt ? ` · ${new Date(def.setAt).toLocaleString()}` : ''}
              </span>
            </>
          ) : (
            <span>none set (segmenting uses the classic engine)</span>
          )}
        </p>
        <p className="muted small">
          Runs every engine on the images a person verified (whole images marked verified, or their verified segments) and compares: adjusted Rand index, the share of verified segments found at IoU ≥ 0.5, IoU per class, and the corrections a simulated operator would need.
        </p>
        {phase !== 'running' && engines && (
          <div className="gl-row small" data-testid="engine-fit-engines">
            <span className="muted">Engines:</span>
            {engines.map((e) => (
              <label key={e.id} className="inline" title={e.id}>
                <input
                  type="checkbox"
                  checked={!skipped.has(e.id)}
                  onChange={(ev) =>
                    setSkipped((s) => {
                      const next = new Set(s);
                      if (ev.target.checked) next.delete(e.id);
                      else next.add(e.id);
                      return next;
                    })
                  }
                  data-testid={`engine-pick-${e.id}`}
                />{' '}
                {e.label}
              </label>
            ))}
          </div>
        )}
        {phase !== 'running' && (
          <div className="gl-row">
            <label className="inline">
              <input type="checkbox" checked={effort} onChange={(e) => setEffort(e.target.checked)} data-testid="engine-fit-effort" /> Simulate the correction effort (slower on big images)
            </label>
          </div>
        )}
        {running && (
          <div className="gl-progress" data-testid="engine-fit-progress">
            <progress max={100} value={pct} />
            <span className="muted small">
              {ev?.message ?? 'Starting…'} ({pct}%)
            </span>
          </div>
        )}
        {report && (
          <>
            <p className="muted small" data-testid="engine-fit-images">
              Scored on {report.images.length} image{report.images.length === 1 ? '' : 's'}: {report.images.map((i) => `${i.name} (${i.truth === 'image' ? 'whole image' : `${i.segments} verified segments`})`).join(', ')}.
            </p>
            <table className="gl-models-table" data-testid="engine-fit-table">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Engine</th>
                  <th>ARI</th>
                  <th>Recall@0.5</th>
                  <th>IoU per class</th>
                  <th>Effort</th>
                  <th>Time/image</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.engine} className={r.failed ? 'failed' : r.best ? 'active' : undefined} data-testid={`engine-row-${r.engine}`}>
                    <td>{r.rank}</td>
                    <td>
                      {r.label}
                      {r.best && <span className="gl-badge">fits best</span>}
                      {r.isDefault && <span className="gl-badge">default</span>}
                      {r.failed && <div className="gl-error small">{r.failed}</div>}
                    </td>
                    <td className="num">{r.ari}</td>
                    <td className="num">{r.recall50}</td>
                    <td>{r.classIoU}</td>
                    <td>{r.effort}</td>
                    <td className="num">{r.msPerImage}</td>
                    <td className="gl-model-actions">
                      {!r.failed && !r.isDefault && (
                        <button disabled={busy || readOnly} onClick={() => void useAsDefault(r.engine)} data-testid={`engine-default-${r.engine}`}>
                          Use as default
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {report.notes.length > 0 && (
              <ul className="gl-engine-notes muted small">
                {report.notes.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            )}
          </>
        )}
        {error && (
          <p className="gl-error" data-testid="engine-fit-error">
            {error}
          </p>
        )}
        <div className="gl-actions">
          {running ? (
            <button onClick={job.cancel} data-testid="engine-fit-cancel">
              Cancel
            </button>
          ) : (
            <>
              {report?.best && jobId && def?.engine !== report.best && (
                <button disabled={busy || readOnly} onClick={() => void useAsDefault(null)} data-testid="engine-fit-use-best" title="Make the engine that fits best this project's default">
                  Use the best as default
                </button>
              )}
              <button onClick={onClose}>Close</button>
              <button className="primary" disabled={engines !== null && skipped.size >= engines.length} onClick={() => void start()} data-testid="engine-fit-start">
                {report ? 'Run again' : 'Run the evaluation'}
              </button>
            </>
          )}
        </div>
      </div>
    </Modal>
  );
}
