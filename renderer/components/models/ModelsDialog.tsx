// The Models dialog: every SAM model GrainLab knows (name, family, size, installed, verified, custom
// and what it was derived from), the active one marked; Select, Verify (shows the check), Remove
// (asks first), Download where the model has addresses (a job with progress and Cancel; offline it
// fails and says why), and "Import your own" (encoder + decoder paths on the machine the service
// runs on — typed, as web mode has no file picker).
import { useCallback, useEffect, useState } from 'react';
import type { SamModelCheck, SamStatus } from '../../../app/contract/sam';
import { getClient } from '../../client';
import { errorText, Modal } from '../export/Modal';
import { percent, useJob } from '../export/useJob';
import { missingImportInputs, modelRows, noActiveModelText, type ModelRow } from './format';
import './models.css';

type Where = 'user' | 'project';

function checkText(c: SamModelCheck): string {
  if (c.ok) return `Files check out (${[...new Set(c.files.map((f) => f.method))].join(', ')}).`;
  return c.files
    .filter((f) => !f.ok)
    .map((f) => `${f.role} ${f.file}: ${f.problem}`)
    .join(' ');
}

export function ModelsDialog({ onClose, onChanged, readOnly }: { onClose(): void; onChanged(): void; readOnly: boolean }) {
  const client = getClient();
  const job = useJob();
  const [status, setStatus] = useState<SamStatus | null>(null);
  const [projectPath, setProjectPath] = useState<string | null>(null);
  const [where, setWhere] = useState<Where>('user');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [checks, setChecks] = useState<Record<string, SamModelCheck>>({});
  const [confirmRemove, setConfirmRemove] = useState<string | null>(null);
  const [download, setDownload] = useState<{ modelId: string; jobId: string | null } | null>(null);
  const [importing, setImporting] = useState(false);
  const [form, setForm] = useState({ name: '', encoderPath: '', decoderPath: '', derivedFrom: '' });
  const [importNote, setImportNote] = useState<{ kind: 'error' | 'info'; text: string } | null>(null);

  const took = useCallback(
    (st: SamStatus) => {
      setStatus(st);
      onChanged();
    },
    [onChanged],
  );
  const reload = useCallback(() => client.call('sam.status', {}).then(setStatus, (e: unknown) => setError(errorText(e))), [client]);
  useEffect(() => {
    void reload();
    client.call('project.current', {}).then((p) => setProjectPath(p?.path ?? null), () => {});
  }, [client, reload]);

  // A download's end: reload the list, or say why it failed.
  const ev = job.event;
  useEffect(() => {
    if (!download || !ev || ev.state === 'running') return;
    if (ev.state === 'failed') setError(`Download of ${download.modelId} failed: ${ev.error?.message ?? ev.message ?? 'unknown error'}`);
    else if (ev.state === 'cancelled') setError(`Download of ${download.modelId} cancelled; nothing was installed.`);
    setDownload(null);
    job.track(null);
    void client.call('sam.status', {}).then(took, () => {});
  }, [ev, download, client, took, job]);

  const run = async (key: string, f: () => Promise<void>) => {
    setBusy(key);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  const whereOf = (r: ModelRow): Where => {
    const m = status?.models.find((x) => x.id === r.id);
    return projectPath && m?.location?.startsWith(projectPath) ? 'project' : 'user';
  };

  const select = (r: ModelRow) => run(`select:${r.id}`, async () => took(await client.call('sam.select', { modelId: r.id })));
  const verify = (r: ModelRow) =>
    run(`verify:${r.id}`, async () => {
      const [c] = await client.call('sam.verify', { modelId: r.id });
      if (c) setChecks((cs) => ({ ...cs, [r.id]: c }));
      await reload();
    });
  const remove = (r: ModelRow) =>
    run(`remove:${r.id}`, async () => {
      setConfirmRemove(null);
      took(await client.call('sam.remove', { modelId: r.id, destination: whereOf(r) }));
    });
  const fetchModel = (r: ModelRow) =>
    run(`fetch:${r.id}`, async () => {
      setDownload({ modelId: r.id, jobId: null });
      job.track(null);
      try {
        const { jobId } = await client.call('sam.fetch', { modelId: r.id, destination: where });
        setDownload({ modelId: r.id, jobId });
        job.track(jobId);
      } catch (e) {
        setDownload(null);
        throw e;
      }
    });
  const importCustom = async () => {
    const missing = missingImportInputs(form);
    if (missing) {
      setImportNote({ kind: 'error', text: missing });
      return;
    }
    setImporting(true);
    setImportNote(null);
    try {
      const r = await client.call('sam.importCustom', {
        name: form.name.trim(),
        encoderPath: form.encoderPath.trim(),
        decoderPath: form.decoderPath.trim(),
        ...(form.derivedFrom.trim() ? { derivedFrom: form.derivedFrom.trim() } : {}),
        destination: where,
      });
      took(r.status);
      setImportNote({ kind: 'info', text: `Imported as "${r.modelId}".` });
      setForm({ name: '', encoderPath: '', decoderPath: '', derivedFrom: '' });
    } catch (e) {
      setImportNote({ kind: 'error', text: errorText(e) });
    } finally {
      setImporting(false);
    }
  };

  const rows = status ? modelRows(status) : [];
  const downloading = download !== null;
  const pct = percent(ev);
  return (
    <Modal title="Models" onClose={downloading ? undefined : onClose} testId="models-dialog">
      <div className="gl-form gl-models">
        {status === null && !error && <p className="muted">Asking for the models…</p>}
        {status && (
          <>
            <p className="muted small">
              {status.active ? (
                <>
                  Active: <b data-testid="models-active">{status.active}</b>
                  {status.provider ? ` · runs on ${status.provider.name.toUpperCase()}` : ' · execution provider chosen on first use'}
                </>
              ) : (
                <span data-testid="models-none">{noActiveModelText(status.hint)}</span>
              )}
            </p>
            <div className="gl-models-scroll">
              <table className="gl-models-table" data-testid="models-table">
                <thead>
                  <tr>
                    <th>Model</th>
                    <th>Family</th>
                    <th>Size</th>
                    <th>Installed</th>
                    <th>Verified</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <ModelRowView
                      key={r.id}
                      r={r}
                      check={checks[r.id] ?? null}
                      busy={busy}
                      readOnly={readOnly}
                      downloading={downloading}
                      confirming={confirmRemove === r.id}
                      onSelect={() => void select(r)}
                      onVerify={() => void verify(r)}
                      onRemove={() => setConfirmRemove(r.id)}
                      onConfirm={(yes) => (yes ? void remove(r) : setConfirmRemove(null))}
                      onDownload={() => void fetchModel(r)}
                    />
                  ))}
                </tbody>
              </table>
            </div>
            <div className="gl-row small">
              <label className="inline">
                Downloads and imports go to
                <select value={where} onChange={(e) => setWhere(e.target.value as Where)} data-testid="models-where">
                  <option value="user">my models folder (every project)</option>
                  <option value="project">this project's models/ folder</option>
                </select>
              </label>
            </div>
          </>
        )}
        {downloading && (
          <div className="gl-progress" data-testid="models-download">
            <progress max={100} value={pct} />
            <span className="muted small">
              Downloading {download.modelId}: {ev?.message ?? 'starting…'} ({pct}%)
            </span>
            <div className="gl-actions">
              <button onClick={job.cancel} data-testid="models-download-cancel">
                Cancel download
              </button>
            </div>
          </div>
        )}
        {error && (
          <p className="gl-error" data-testid="models-error">
            {error}
          </p>
        )}
        <details className="gl-models-import" data-testid="models-import">
          <summary>Import your own model…</summary>
          <p className="muted small">An encoder and decoder ONNX pair of a family GrainLab recognises (SAM, SAM 2, EfficientSAM, EdgeSAM); paths on the machine GrainLab runs on. Its sha256, size and family are recorded.</p>
          <label>
            Name
            <input type="text" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} data-testid="import-name" spellCheck={false} />
          </label>
          <label>
            Encoder file (.onnx)
            <input type="text" value={form.encoderPath} onChange={(e) => setForm({ ...form, encoderPath: e.target.value })} data-testid="import-encoder" spellCheck={false} />
          </label>
          <label>
            Decoder file (.onnx)
            <input type="text" value={form.decoderPath} onChange={(e) => setForm({ ...form, decoderPath: e.target.value })} data-testid="import-decoder" spellCheck={false} />
          </label>
          <label>
            Derived from (optional: the model it was fine-tuned from)
            <input type="text" value={form.derivedFrom} onChange={(e) => setForm({ ...form, derivedFrom: e.target.value })} data-testid="import-derived" spellCheck={false} />
          </label>
          {importNote && (
            <p className={importNote.kind === 'error' ? 'gl-error' : 'muted'} data-testid="import-note">
              {importNote.text}
            </p>
          )}
          <div className="gl-actions">
            <button className="primary" disabled={importing} onClick={() => void importCustom()} data-testid="import-start">
              {importing ? 'Importing…' : 'Import'}
            </button>
          </div>
        </details>
        <div className="gl-actions">
          <button onClick={onClose} disabled={downloading}>
            Close
          </button>
        </div>
      </div>
    </Modal>
  );
}

interface RowProps {
  r: ModelRow;
  check: SamModelCheck | null;
  busy: string | null;
  readOnly: boolean;
  downloading: boolean;
  confirming: boolean;
  onSelect(): void;
  onVerify(): void;
  onRemove(): void;
  onConfirm(yes: boolean): void;
  onDownload(): void;
}

function ModelRowView({ r, check, busy, readOnly, downloading, confirming, onSelect, onVerify, onRemove, onConfirm, onDownload }: RowProps) {
  const off = busy !== null || downloading;
  return (
    <>
      <tr className={r.active ? 'active' : undefined} data-testid={`model-${r.id}`} data-active={r.active ? 'true' : 'false'}>
        <td>
          <span className="gl-model-name">{r.name}</span>
          {r.active && <span className="gl-badge">active</span>}
          {r.origin && <div className="muted small">{r.origin}</div>}
        </td>
        <td>{r.family}</td>
        <td className="num">{r.size}</td>
        <td>{r.installed ? 'yes' : 'no'}</td>
        <td className={r.verified === 'failed' ? 'bad' : undefined} data-testid={`model-${r.id}-verified`}>
          {r.verified}
        </td>
        <td className="gl-model-actions">
          {r.canSelect && (
            <button disabled={off} onClick={onSelect} data-testid={`model-${r.id}-select`} title="Use this model for SAM prompts and SAM auto-segmentation in this project">
              {busy === `select:${r.id}` ? 'Loading…' : 'Select'}
            </button>
          )}
          {r.canVerify && (
            <button disabled={off} onClick={onVerify} data-testid={`model-${r.id}-verify`} title="Check the files against their recorded hashes and sizes">
              {busy === `verify:${r.id}` ? 'Checking…' : 'Verify'}
            </button>
          )}
          {r.canDownload && (
            <button disabled={off || readOnly} onClick={onDownload} data-testid={`model-${r.id}-download`} title="Download the files; they are checked before they are installed">
              Download
            </button>
          )}
          {r.canRemove && !confirming && (
            <button disabled={off} onClick={onRemove} data-testid={`model-${r.id}-remove`} title="Delete this model's files">
              Remove
            </button>
          )}
          {confirming && (
            <span className="gl-confirm">
              Remove {r.name}?{' '}
              <button className="danger" disabled={off} onClick={() => onConfirm(true)} data-testid={`model-${r.id}-remove-yes`}>
                Remove
              </button>
              <button disabled={off} onClick={() => onConfirm(false)}>
                Keep
              </button>
            </span>
          )}
        </td>
      </tr>
      {check && (
        <tr className="gl-model-check">
          <td colSpan={6} className={check.ok ? 'ok' : 'bad'} data-testid={`model-${r.id}-check`}>
            {checkText(check)}
          </td>
        </tr>
      )}
    </>
  );
}
