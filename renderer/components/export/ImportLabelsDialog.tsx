// The Import-labels dialog: COCO JSON, instance / semantic label maps or grain-boundary maps,
// uploaded as files and matched to project images by file name. A dry run first finds the images
// the files go to; when some already have a segmentation the dialog says what will change (and
// keeps the segments a person made unless told otherwise); then progress, then what happened.
import { useEffect, useState } from 'react';
import type { ImportLabelsArgs, ImportLabelsSummary, LabelKind, SemanticValue } from '../../../app/contract/export';
import type { BatchPlan } from '../../../app/contract/versions';
import type { GrainLabClient } from '../../../app/contract';
import { planBody } from '../dialogs/batch';
import { getClient } from '../../client';
import { percent, useJob } from './useJob';
import { errorText, Modal } from './Modal';

const KINDS: { id: LabelKind; label: string; accept: string; hint: string }[] = [
  { id: 'coco', label: 'COCO JSON (RLE or polygons)', accept: '.json,application/json', hint: 'Each COCO image is matched to the project image with the same file name (extension and folders ignored).' },
  { id: 'instance', label: 'Instance label maps (PNG/TIFF)', accept: '.png,.tif,.tiff', hint: 'One id per grain (8/16-bit grey), or one colour per grain; 0 / black = none.' },
  { id: 'semantic', label: 'Semantic class maps (PNG/TIFF)', accept: '.png,.tif,.tiff', hint: 'One value per class. Add the classes.json of a GrainLab export (or a list of {value, name}) to name the classes.' },
  { id: 'boundary', label: 'Grain-boundary maps (PNG/TIFF)', accept: '.png,.tif,.tiff', hint: 'Bright lines on dark; grains are the regions between the lines.' },
];

function parseClassTable(text: string): SemanticValue[] {
  const json = JSON.parse(text) as unknown;
  const list = Array.isArray(json) ? json : (json as { values?: unknown }).values;
  if (!Array.isArray(list)) throw new Error('The class table must be a list of {value, name} or {"values": [...]}.');
  return list.map((e, i) => {
    const o = e as Partial<SemanticValue>;
    if (typeof o.value !== 'number' || typeof o.name !== 'string') throw new Error(`Class table entry ${i} needs a number "value" and a text "name".`);
    return { value: o.value, name: o.name, ...(o.color !== undefined ? { color: o.color } : {}), ...(o.classId !== undefined ? { classId: o.classId } : {}) };
  });
}

/** '0=matrix, 1=ferrite' -> class table entries (throws naming the bad part). */
function parseValueNames(text: string): SemanticValue[] {
  return text
    .split(/[,;\n]/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^(\d+)\s*=\s*(.+)$/.exec(part);
      if (!m || Number(m[1]) > 65535) throw new Error(`"${part}" is not value=name (e.g. 0=matrix, 1=ferrite).`);
      return { value: Number(m[1]), name: m[2]!.trim() };
    });
}

/** Runs a labels.import job (a dry run here) to its end and returns its summary. */
function importSummary(client: Pick<GrainLabClient, 'call' | 'on'>, args: Omit<ImportLabelsArgs, 'dryRun'> & { dryRun: boolean }): Promise<ImportLabelsSummary> {
  return new Promise((resolve, reject) => {
    const ended = new Map<string, string>();
    let id: string | null = null;
    const finish = (jobId: string, state: string) => {
      off();
      if (state !== 'done') return reject(new Error('Checking the files failed; nothing was imported.'));
      client.call('labels.importResult', { jobId }).then((r) => (r ? resolve(r) : reject(new Error('The check left no result.'))), reject);
    };
    const off = client.on('onDidProgress', (e) => {
      if (e.state === 'running') return;
      if (e.jobId === id) finish(e.jobId, e.state);
      else ended.set(e.jobId, e.state);
    });
    client.call('labels.import', args).then(({ jobId }) => {
      id = jobId;
      const st = ended.get(jobId);
      if (st) finish(jobId, st);
    }, (e: unknown) => {
      off();
      reject(e);
    });
  });
}

export function ImportLabelsDialog({ onClose }: { onClose(): void }) {
  const client = getClient();
  const job = useJob();
  const [kind, setKind] = useState<LabelKind>('coco');
  const [files, setFiles] = useState<File[]>([]);
  const [classFile, setClassFile] = useState<File | null>(null);
  const [onto, setOnto] = useState(false);
  const [skip, setSkip] = useState(false);
  const [keepMine, setKeepMine] = useState(true);
  const [valueNames, setValueNames] = useState('');
  const [plan, setPlan] = useState<{ plan: BatchPlan; args: ImportLabelsArgs } | null>(null);
  const [phase, setPhase] = useState<'form' | 'checking' | 'confirm' | 'running' | 'done'>('form');
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<ImportLabelsSummary | null>(null);
  const ev = job.event;

  useEffect(() => {
    if (phase !== 'running' || !ev || ev.state === 'running') return;
    if (ev.state === 'done') {
      client.call('labels.importResult', { jobId: ev.jobId }).then((r) => {
        setResult(r);
        setPhase('done');
      }, (e: unknown) => {
        setError(errorText(e));
        setPhase('form');
      });
    } else {
      setError(ev.state === 'cancelled' ? 'Import cancelled; files imported before the cancel are kept.' : (ev.error?.message ?? 'The import failed.'));
      setPhase('form');
    }
  }, [ev, phase, client]);

  const run = async (args: ImportLabelsArgs) => {
    setPhase('running');
    job.track(null);
    const { jobId } = await client.call('labels.import', args);
    job.track(jobId);
  };

  const start = async () => {
    setError(null);
    try {
      const table = classFile ? parseClassTable(await classFile.text()) : [];
      const named = kind === 'semantic' ? parseValueNames(valueNames) : [];
      const classes = table.length + named.length > 0 ? [...table, ...named] : undefined;
      const payload = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      const args: ImportLabelsArgs = {
        kind,
        files: payload,
        ...(classes ? { classes } : {}),
        semanticMode: kind === 'semantic' && onto ? 'classes' : 'replace',
        ifSegmented: skip ? 'skip' : 'replace',
        keep: keepMine ? 'person' : 'none',
        dryRun: false,
      };
      // Which images the files go to: when some already have a segmentation, say what will change first.
      setPhase('checking');
      const dry = await importSummary(client, { ...args, dryRun: true });
      const targets = [...new Set(dry.imported.map((i) => i.imageId))];
      const p = targets.length ? await client.call('segment.plan', { imageIds: targets, keep: args.keep }) : null;
      if (p && p.images.some((i) => i.segmented) && !(kind === 'semantic' && onto)) {
        setPlan({ plan: p, args });
        setPhase('confirm');
        return;
      }
      await run(args);
    } catch (e) {
      setError(errorText(e));
      setPhase('form');
    }
  };

  const k = KINDS.find((x) => x.id === kind)!;
  const running = phase === 'running' || phase === 'checking';
  if (phase === 'confirm' && plan) {
    return (
      <Modal title="Import labels" onClose={() => setPhase('form')} testId="import-dialog">
        <div className="gl-form" data-testid="import-plan">
          {planBody(plan.plan, 'Importing labels into')}
        </div>
        <div className="gl-actions">
          <button onClick={() => setPhase('form')}>Back</button>
          <button className="primary" onClick={() => void run(plan.args).catch((e: unknown) => { setError(errorText(e)); setPhase('form'); })} data-testid="import-confirm">
            Import{plan.args.keep === 'person' && plan.plan.totals.kept > 0 ? `, keeping your ${plan.plan.totals.kept} segments` : ''}
          </button>
        </div>
      </Modal>
    );
  }
  return (
    <Modal title="Import labels" onClose={running ? undefined : onClose} testId="import-dialog">
      {phase === 'done' && result ? (
        <div className="gl-summary" data-testid="import-summary">
          <p>
            {result.imported.length} imported, {result.skipped.length} skipped, {result.failed.length} failed
            {result.classesCreated.length > 0 && <> · new classes: {result.classesCreated.join(', ')}</>}
          </p>
          <ul className="gl-results">
            {result.imported.map((i) => (
              <li key={`${i.file}-${i.imageId}`}>
                ✓ {i.imageName}: {i.segments} segments {i.action === 'classes' ? '(classes set)' : i.action === 'replaced' ? `(a new version${i.kept ? `; ${i.kept} of your segments kept` : ''}; Ctrl+Z or Versions bring the previous one back)` : ''}
              </li>
            ))}
            {result.skipped.map((s) => (
              <li key={`s-${s.file}`} className="muted">
                – {s.message}
              </li>
            ))}
            {result.failed.map((f) => (
              <li key={`f-${f.file}`} className="gl-error">
                ✗ {f.message}
              </li>
            ))}
          </ul>
          <div className="gl-actions">
            <button onClick={() => { setPhase('form'); setFiles([]); }}>Import more</button>
            <button className="primary" onClick={onClose}>Close</button>
          </div>
        </div>
      ) : (
        <div className="gl-form">
          <label>
            What the files hold
            <select value={kind} disabled={running} onChange={(e) => setKind(e.target.value as LabelKind)} data-testid="import-kind">
              {KINDS.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.label}
                </option>
              ))}
            </select>
          </label>
          <p className="muted small">{k.hint}</p>
          <label>
            Files
            <input type="file" multiple accept={k.accept} disabled={running} onChange={(e) => setFiles(Array.from(e.target.files ?? []))} data-testid="import-files" />
          </label>
          {kind === 'semantic' && (
            <>
              <label>
                Class table (optional JSON)
                <input type="file" accept=".json,application/json" disabled={running} onChange={(e) => setClassFile(e.target.files?.[0] ?? null)} />
              </label>
              <label>
                Names of values (optional, e.g. 0=matrix, 1=ferrite; other values become "class &lt;value&gt;")
                <input type="text" value={valueNames} disabled={running} onChange={(e) => setValueNames(e.target.value)} placeholder="0=matrix, 1=ferrite" data-testid="import-value-names" />
              </label>
              <label className="inline">
                <input type="checkbox" checked={onto} disabled={running} onChange={(e) => setOnto(e.target.checked)} /> Keep the current segments and only set their classes
              </label>
            </>
          )}
          <label className="inline" title="Segments you verified, edited by hand or gave a class (and classes you gave) stay as they are">
            <input type="checkbox" checked={keepMine} disabled={running} onChange={(e) => setKeepMine(e.target.checked)} data-testid="import-keep" /> Keep what I made (verified, hand-edited segments, my classes)
          </label>
          <label className="inline">
            <input type="checkbox" checked={skip} disabled={running} onChange={(e) => setSkip(e.target.checked)} /> Leave images that already have a segmentation alone
          </label>
          {!skip && !(kind === 'semantic' && onto) && <p className="muted small">An imported segmentation becomes the image's new version: one step you can undo, the previous one kept under Versions.</p>}
          {running && (
            <div className="gl-progress">
              <progress max={100} value={phase === 'checking' ? 0 : percent(ev)} />
              <span className="muted small">{phase === 'checking' ? 'Checking which images the files go to…' : (ev?.message ?? 'Uploading…')}</span>
            </div>
          )}
          {error && <p className="gl-error">{error}</p>}
          <div className="gl-actions">
            {running ? (
              <button onClick={job.cancel}>Cancel</button>
            ) : (
              <>
                <button onClick={onClose}>Close</button>
                <button className="primary" disabled={files.length === 0} onClick={() => void start()} data-testid="import-start">
                  Import {files.length || ''} file{files.length === 1 ? '' : 's'}
                </button>
              </>
            )}
          </div>
        </div>
      )}
    </Modal>
  );
}
