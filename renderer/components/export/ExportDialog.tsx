// The Export dialog: format and options, destination folder (typed: web mode has no folder picker),
// a progress bar with Cancel while the job runs, and a summary of what was written.
import { useEffect, useState } from 'react';
import type { ExportFormat, ExportSummary } from '../../../app/contract/export';
import type { FinetuneSummary } from '../../../app/contract/finetune';
import { getClient } from '../../client';
import { percent, useJob } from './useJob';
import { errorText, Modal } from './Modal';

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
}

function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return `${dir.replace(/[\\/]+$/, '')}${sep}${name}`;
}

/** The dataset formats, and 'finetune': micro-sam's image/label TIFF layout (export.finetune). */
type Format = ExportFormat | 'finetune';

const FORMATS: { id: Format; label: string; hint: string }[] = [
  { id: 'coco', label: 'COCO instance segmentation (JSON)', hint: 'annotations/instances_<split>.json with RLE or polygons, bbox, area; GrainLab provenance under "grainlab".' },
  { id: 'png', label: 'PNG masks', hint: '16-bit instance maps, 8-bit indexed semantic (class) maps, 1-px boundary maps and colour previews.' },
  { id: 'yolo', label: 'YOLO segmentation', hint: 'labels/<split>/*.txt with normalised polygons and data.yaml (segments need a class).' },
  { id: 'finetune', label: 'Fine-tuning (micro-sam)', hint: '<split>/images/*.tif and <split>/labels/*.tif instance maps, the layout micro-sam trains SAM on; verified segments (or every segment of a verified image) only, unless you choose all.' },
];

export function ExportDialog({ onClose, imageCount, chosen }: { onClose(): void; imageCount: number; chosen: number[] }) {
  const client = getClient();
  const job = useJob();
  const [format, setFormat] = useState<Format>('coco');
  const [base, setBase] = useState('');
  const [dest, setDest] = useState('');
  const [destEdited, setDestEdited] = useState(false);
  const [ratios, setRatios] = useState<[number, number, number]>([6, 2, 2]);
  const [seed, setSeed] = useState(42);
  const [verifiedImages, setVerifiedImages] = useState(false);
  const [onlyChosen, setOnlyChosen] = useState(chosen.length > 1);
  const [verifiedSegments, setVerifiedSegments] = useState(false);
  const [tiling, setTiling] = useState(false);
  const [tileSize, setTileSize] = useState(512);
  const [overlap, setOverlap] = useState(64);
  const [edge, setEdge] = useState<'flag' | 'exclude' | 'include'>('flag');
  const [rle, setRle] = useState<'compressed' | 'uncompressed' | 'polygon'>('compressed');
  const [copyImages, setCopyImages] = useState(true);
  const [overwrite, setOverwrite] = useState(false);
  const [phase, setPhase] = useState<'form' | 'running' | 'done' | 'failed'>('form');
  const [error, setError] = useState<string | null>(null);
  const [summary, setSummary] = useState<ExportSummary | FinetuneSummary | null>(null);
  const [allSegments, setAllSegments] = useState(false);

  useEffect(() => {
    client.call('project.current', {}).then((p) => p && setBase(joinPath(p.path, 'exports')), () => {});
  }, [client]);
  useEffect(() => {
    if (!destEdited && base) setDest(joinPath(base, `${format}-${stamp()}`));
  }, [base, format, destEdited]);

  const ev = job.event;
  useEffect(() => {
    if (phase !== 'running' || !ev || ev.state === 'running') return;
    if (ev.state === 'done') {
      (format === 'finetune' ? client.call('export.finetuneResult', { jobId: ev.jobId }) : client.call('export.result', { jobId: ev.jobId })).then((s: ExportSummary | FinetuneSummary | null) => {
        setSummary(s);
        setPhase('done');
      }, (e: unknown) => {
        setError(errorText(e));
        setPhase('failed');
      });
    } else {
      setError(ev.state === 'cancelled' ? 'Export cancelled. Nothing was written to the destination.' : (ev.error?.message ?? ev.message ?? 'The export failed.'));
      setPhase('failed');
    }
  }, [ev, phase, client, format]);

  const start = async () => {
    setError(null);
    setSummary(null);
    try {
      setPhase('running');
      job.track(null);
      const chosenIds = onlyChosen && chosen.length > 0 ? { imageIds: chosen } : {};
      const { jobId } =
        format === 'finetune'
          ? await client.call('export.finetune', { dest, ratios, seed, ...chosenIds, segments: allSegments ? 'all' : 'verified', tile: tiling ? { size: tileSize, overlap } : null, overwrite })
          : await client.call('export.dataset', {
              dest,
              format,
              ratios,
              seed,
              ...chosenIds,
              verifiedImages,
              verifiedSegments,
              tile: tiling ? { size: tileSize, overlap } : null,
              edge,
              rle,
              copyImages,
              overwrite,
            });
      job.track(jobId);
    } catch (e) {
      setError(errorText(e));
      setPhase('form');
    }
  };

  const running = phase === 'running';
  const pct = percent(ev);
  return (
    <Modal title="Export dataset" onClose={running ? undefined : onClose} testId="export-dialog">
      {phase === 'done' && summary ? (
        <div className="gl-summary" data-testid="export-summary">
          <p>
            Wrote a <b>{summary.format === 'finetune' ? 'fine-tuning (micro-sam)' : summary.format.toUpperCase()}</b> dataset to <code>{summary.dest}</code>
          </p>
          <table>
            <thead>
              <tr>
                <th />
                <th>train</th>
                <th>val</th>
                <th>test</th>
                <th>total</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>images</td>
                <td>{summary.perSplit.train.images}</td>
                <td>{summary.perSplit.val.images}</td>
                <td>{summary.perSplit.test.images}</td>
                <td>{summary.images}</td>
              </tr>
              {summary.items !== summary.images && (
                <tr>
                  <td>tiles</td>
                  <td>{summary.perSplit.train.items}</td>
                  <td>{summary.perSplit.val.items}</td>
                  <td>{summary.perSplit.test.items}</td>
                  <td>{summary.items}</td>
                </tr>
              )}
              <tr>
                <td>segments</td>
                <td>{summary.perSplit.train.segments}</td>
                <td>{summary.perSplit.val.segments}</td>
                <td>{summary.perSplit.test.segments}</td>
                <td>{summary.segments}</td>
              </tr>
            </tbody>
          </table>
          <p className="muted">
            {(summary.bytes / 1e6).toFixed(1)} MB in {summary.seconds.toFixed(1)} s · {summary.card.totals.verifiedSegments} verified segments · dataset card: dataset-card.md
          </p>
          {summary.warnings.length > 0 && (
            <ul className="gl-warnings">
              {summary.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          <div className="gl-actions">
            <button onClick={() => { setPhase('form'); setDestEdited(false); setDest(joinPath(base, `${format}-${stamp()}`)); }}>Export another</button>
            <button className="primary" onClick={onClose}>Close</button>
          </div>
        </div>
      ) : (
        <div className="gl-form">
          <label>
            Format
            <select value={format} disabled={running} onChange={(e) => setFormat(e.target.value as Format)} data-testid="export-format">
              {FORMATS.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.label}
                </option>
              ))}
            </select>
          </label>
          <p className="muted small">{FORMATS.find((f) => f.id === format)!.hint}</p>
          <label>
            Destination folder (created; must not exist yet)
            <input type="text" value={dest} disabled={running} onChange={(e) => { setDest(e.target.value); setDestEdited(true); }} data-testid="export-dest" spellCheck={false} />
          </label>
          <div className="gl-row">
            <span>Split train : val : test</span>
            {[0, 1, 2].map((k) => (
              <input key={k} type="number" min={0} step={1} className="gl-num" value={ratios[k]} disabled={running} onChange={(e) => setRatios((r) => r.map((v, j) => (j === k ? Math.max(0, Number(e.target.value)) : v)) as [number, number, number])} />
            ))}
            <label className="inline">
              seed <input type="number" min={0} className="gl-num" value={seed} disabled={running} onChange={(e) => setSeed(Math.max(0, Math.floor(Number(e.target.value))))} />
            </label>
          </div>
          <div className="gl-row">
            <label className="inline">
              <input type="radio" checked={!onlyChosen} disabled={running} onChange={() => setOnlyChosen(false)} /> All images
            </label>
            <label className="inline" title="The images chosen in the image list (Ctrl-click, Shift-click)">
              <input type="radio" checked={onlyChosen} disabled={running || chosen.length === 0} onChange={() => setOnlyChosen(true)} data-testid="export-chosen" /> Chosen images ({chosen.length})
            </label>
          </div>
          {format === 'finetune' ? (
            <div className="gl-row">
              <label className="inline" title="Verified: segments a person verified, and every segment of an image marked verified; images with neither are left out">
                <input type="checkbox" checked={allSegments} disabled={running} onChange={(e) => setAllSegments(e.target.checked)} data-testid="export-finetune-all" /> Every segment, not only verified ones
              </label>
            </div>
          ) : (
            <div className="gl-row">
              <label className="inline">
                <input type="checkbox" checked={verifiedImages} disabled={running} onChange={(e) => setVerifiedImages(e.target.checked)} /> Only verified images
              </label>
              <label className="inline">
                <input type="checkbox" checked={verifiedSegments} disabled={running} onChange={(e) => setVerifiedSegments(e.target.checked)} /> Only verified segments
              </label>
            </div>
          )}
          <div className="gl-row">
            <label className="inline">
              <input type="checkbox" checked={tiling} disabled={running} onChange={(e) => setTiling(e.target.checked)} /> Tiles of
            </label>
            <input type="number" min={16} className="gl-num" value={tileSize} disabled={running || !tiling} onChange={(e) => setTileSize(Math.max(16, Math.floor(Number(e.target.value))))} />
            <span>px, overlap</span>
            <input type="number" min={0} className="gl-num" value={overlap} disabled={running || !tiling} onChange={(e) => setOverlap(Math.max(0, Math.floor(Number(e.target.value))))} />
            <span>px</span>
          </div>
          {format !== 'finetune' && (
            <div className="gl-row">
              <label className="inline">
                Grains touching the border
                <select value={edge} disabled={running} onChange={(e) => setEdge(e.target.value as typeof edge)}>
                  <option value="flag">keep and flag</option>
                  <option value="exclude">leave out</option>
                  <option value="include">keep</option>
                </select>
              </label>
              {format === 'coco' && (
                <label className="inline">
                  Masks
                  <select value={rle} disabled={running} onChange={(e) => setRle(e.target.value as typeof rle)} data-testid="export-rle">
                    <option value="compressed">compressed RLE</option>
                    <option value="uncompressed">uncompressed RLE</option>
                    <option value="polygon">polygons (holes filled)</option>
                  </select>
                </label>
            )}
          </div>
          )}
          <div className="gl-row">
            {format !== 'finetune' && (
              <label className="inline">
                <input type="checkbox" checked={copyImages} disabled={running} onChange={(e) => setCopyImages(e.target.checked)} /> Include the micrographs
              </label>
            )}
            <label className="inline">
              <input type="checkbox" checked={overwrite} disabled={running} onChange={(e) => setOverwrite(e.target.checked)} /> Replace an existing folder
            </label>
          </div>
          {running && (
            <div className="gl-progress" data-testid="export-progress">
              <progress max={100} value={pct} />
              <span className="muted small">{ev?.message ?? 'Starting…'} ({pct}%)</span>
            </div>
          )}
          {error && (
            <p className="gl-error" data-testid="export-error">
              {error}
            </p>
          )}
          <div className="gl-actions">
            {running ? (
              <button onClick={job.cancel} data-testid="export-cancel">
                Cancel
              </button>
            ) : (
              <>
                <span className="muted small">{onlyChosen ? `${chosen.length} chosen` : imageCount} image(s); only segmented ones are exported.</span>
                <button onClick={onClose}>Close</button>
                <button className="primary" disabled={!dest.trim()} onClick={() => void start()} data-testid="export-start">
                  Export
                </button>
              </>
            )}
          </div>
        </div>
      )}
    </Modal>
  );
}
