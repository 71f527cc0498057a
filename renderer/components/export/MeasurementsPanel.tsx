// The Measurements panel: pixel size of the current image, grain statistics (count, ECD, ASTM E112
// G by both methods), phase fractions, and the plots people expect, each exportable as SVG and
// PNG; CSV downloads of grains, images and phases.
import { useCallback, useEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import type { ProjectStats } from '../../../app/contract/export';
import type { ImageRecord } from '../../../app/types';
import { getClient } from '../../client';
import { CumulativePlot, PhaseBars, SizeHistogram } from './charts';
import { downloadPng, downloadSvg, downloadText } from './download';
import { errorText } from './Modal';

const num = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

function ChartBox({ name, children, svg }: { name: string; children: ReactNode; svg: RefObject<SVGSVGElement | null> }) {
  const [err, setErr] = useState<string | null>(null);
  return (
    <div className="gl-chart-box">
      {children}
      <div className="gl-chart-actions">
        <button className="small" onClick={() => svg.current && downloadSvg(svg.current, `${name}.svg`)} title="Download as SVG (vector, for papers)">
          SVG
        </button>
        <button className="small" onClick={() => svg.current && void downloadPng(svg.current, `${name}.png`).catch((e: unknown) => setErr(errorText(e)))} title="Download as PNG (2x)">
          PNG
        </button>
        {err && <span className="gl-error small">{err}</span>}
      </div>
    </div>
  );
}

export function MeasurementsPanel({ images, selected, chosen, onClose, onChanged }: { images: ImageRecord[]; selected: number | null; chosen: number[]; onClose(): void; onChanged(): void }) {
  const client = getClient();
  const current = images.find((i) => i.id === selected) ?? null;
  const [scope, setScope] = useState<'image' | 'chosen' | 'project'>(current ? 'image' : 'project');
  const [excludeEdge, setExcludeEdge] = useState(false);
  const [log, setLog] = useState(false);
  const [bins, setBins] = useState(0);
  const [stats, setStats] = useState<ProjectStats | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [px, setPx] = useState('');
  const histRef = useRef<SVGSVGElement>(null);
  const cumRef = useRef<SVGSVGElement>(null);
  const phaseRef = useRef<SVGSVGElement>(null);
  const seq = useRef(0);

  useEffect(() => setPx(current?.pixelSizeUm ? String(current.pixelSizeUm) : ''), [current?.id, current?.pixelSizeUm]);

  const ids = scope === 'image' && current ? [current.id] : scope === 'chosen' && chosen.length > 0 ? chosen : undefined;
  const idKey = ids ? ids.join(',') : 'all';
  const refresh = useCallback(() => {
    if (scope === 'image' && !current) {
      setStats(null);
      return;
    }
    const mine = ++seq.current;
    setBusy(true);
    client
      .call('stats.compute', { ...(ids ? { imageIds: ids } : {}), excludeEdge })
      .then((s) => {
        if (mine !== seq.current) return;
        setStats(s);
        setError(null);
      })
      .catch((e: unknown) => mine === seq.current && setError(errorText(e)))
      .finally(() => mine === seq.current && setBusy(false));
  }, [client, idKey, excludeEdge, scope, current?.pixelSizeUm]);

  useEffect(() => refresh(), [refresh]);
  // Edits and new segmentations change the numbers: refresh (debounced) when an image changes.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = client.on('onDidChangeImage', (e) => {
      if (ids && !ids.includes(e.imageId)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [client, refresh, idKey]);

  const savePixelSize = async (value: number | null) => {
    if (!current) return;
    try {
      await client.call('images.setPixelSize', { id: current.id, umPerPx: value });
      onChanged();
    } catch (e) {
      setError(errorText(e));
    }
  };

  const downloadCsv = async () => {
    try {
      const { files } = await client.call('stats.csv', { ...(ids ? { imageIds: ids } : {}), excludeEdge });
      for (const f of files) downloadText(f.text, f.name);
    } catch (e) {
      setError(errorText(e));
    }
  };

  const unit = stats?.unit === 'um' ? 'µm' : 'px';
  const one = scope === 'image' ? stats?.images[0] : null;
  const summary = one ? one.summary : stats?.project.summary;
  const plan = one ? one.planimetric : stats?.project.planimetric;
  const inter = one ? one.intercept : stats?.project.intercept;
  const phases = one ? one.phases : (stats?.project.phases ?? []);
  const pxNum = Number(px);
  const pxValid = px.trim() !== '' && Number.isFinite(pxNum) && pxNum > 0;
  const fileBase = scope === 'image' && current ? current.name.replace(/\.[^.]+$/, '') : 'project';

  return (
    <aside className="gl-measure" data-testid="measurements-panel">
      <div className="gl-measure-head">
        <h2>Measurements</h2>
        <button className="small" onClick={onClose} aria-label="Close measurements">
          ×
        </button>
      </div>
      <div className="gl-measure-body">
        <div className="gl-row">
          <label className="inline">
            <input type="radio" checked={scope === 'image'} disabled={!current} onChange={() => setScope('image')} /> This image
          </label>
          <label className="inline" title="The images chosen in the image list (Ctrl-click, Shift-click)">
            <input type="radio" checked={scope === 'chosen'} disabled={chosen.length === 0} onChange={() => setScope('chosen')} data-testid="scope-chosen" /> Chosen ({chosen.length})
          </label>
          <label className="inline">
            <input type="radio" checked={scope === 'project'} onChange={() => setScope('project')} data-testid="scope-project" /> All images
          </label>
          {busy && <span className="muted small">measuring…</span>}
        </div>
        {current && (
          <div className="gl-row" title="Micrometres per pixel. Lengths and areas are reported in µm when every measured image has one; ASTM E112 needs it.">
            <span>Pixel size of {current.name.length > 22 ? `${current.name.slice(0, 21)}…` : current.name}</span>
            <input type="number" min={0} step="any" className="gl-num wide" value={px} onChange={(e) => setPx(e.target.value)} placeholder="µm/px" data-testid="pixel-size" />
            <span>µm/px</span>
            <button className="small" disabled={!pxValid || pxNum === current.pixelSizeUm} onClick={() => void savePixelSize(pxNum)} data-testid="pixel-size-save">
              Set
            </button>
            {current.pixelSizeUm !== null && (
              <button className="small" onClick={() => void savePixelSize(null)}>
                Clear
              </button>
            )}
          </div>
        )}
        <div className="gl-row">
          <label className="inline" title="Grains cut by the image border are truncated: leave them out of the size statistics (they still count for ASTM as the standard says).">
            <input type="checkbox" checked={excludeEdge} onChange={(e) => setExcludeEdge(e.target.checked)} /> Leave out edge grains
          </label>
          <label className="inline">
            <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} data-testid="log-scale" /> Log scale
          </label>
          <label className="inline" title="Histogram bins (0 = automatic, Sturges' rule)">
            bins <input type="number" min={0} max={200} className="gl-num" value={bins} onChange={(e) => setBins(Math.max(0, Math.min(200, Math.floor(Number(e.target.value)))))} />
          </label>
        </div>
        {error && <p className="gl-error">{error}</p>}
        {scope === 'image' && one && !one.segmented && <p className="muted">This image has no segmentation yet: segment it or import labels.</p>}
        {stats && summary && (
          <>
            <table className="gl-stats" data-testid="stats-table">
              <tbody>
                <tr>
                  <td>Grains</td>
                  <td>
                    {summary.grainCount} <span className="muted">({summary.edgeGrainCount} at the edge)</span>
                  </td>
                </tr>
                {stats.particles && (
                  <tr title="Classes chosen as particles in the Measure tab: left out of the grain sizes and ASTM G">
                    <td>Particles</td>
                    <td data-testid="stats-particles">
                      {stats.particles.grainCount} <span className="muted">(ECD mean {num(stats.particles.ecd.mean)} {stats.particles.unit === 'um' ? 'µm' : 'px'}; not grains)</span>
                    </td>
                  </tr>
                )}
                <tr>
                  <td>ECD mean ± std</td>
                  <td>
                    {num(summary.ecd.mean)} ± {num(summary.ecd.std)} {summary.unit === 'um' ? 'µm' : 'px'}
                  </td>
                </tr>
                <tr>
                  <td>ECD median (min–max)</td>
                  <td>
                    {num(summary.ecd.median)} ({num(summary.ecd.min)}–{num(summary.ecd.max)}) {summary.unit === 'um' ? 'µm' : 'px'}
                  </td>
                </tr>
                <tr>
                  <td>Mean area</td>
                  <td>
                    {num(summary.area.mean, 1)} {summary.unit === 'um' ? 'µm²' : 'px²'}
                  </td>
                </tr>
                <tr title="ASTM E112 planimetric (Jeffries): grains inside count 1, grains cut by the border 1/2.">
                  <td>ASTM G, planimetric</td>
                  <td data-testid="astm-planimetric">{plan ? `${num(plan.G)} (${num(plan.grainsPerMm2, 0)} grains/mm²)` : 'needs a pixel size'}</td>
                </tr>
                <tr title="ASTM E112 mean lineal intercept (Heyn): 5 horizontal and 5 vertical test lines per image.">
                  <td>ASTM G, intercept</td>
                  <td>{inter ? `${num(inter.G)} (ℓ = ${num(inter.meanInterceptMm * 1000)} µm)` : 'needs a pixel size'}</td>
                </tr>
              </tbody>
            </table>
            <div className="gl-row">
              <button className="small" onClick={() => void downloadCsv()} title="grains.csv, images.csv, phases.csv, ecd_histogram.csv" data-testid="csv-download">
                Download CSV
              </button>
              <span className="muted small">
                {stats.images.filter((i) => i.segmented).length} measured image(s), sizes in {unit}
              </span>
            </div>
            <ChartBox name={`${fileBase}-ecd-histogram`} svg={histRef}>
              <SizeHistogram svgRef={histRef} values={stats.ecd} unit={stats.unit} log={log} bins={bins || undefined} />
            </ChartBox>
            <ChartBox name={`${fileBase}-ecd-cumulative`} svg={cumRef}>
              <CumulativePlot svgRef={cumRef} values={stats.ecd} unit={stats.unit} log={log} />
            </ChartBox>
            <ChartBox name={`${fileBase}-phase-fractions`} svg={phaseRef}>
              <PhaseBars svgRef={phaseRef} phases={phases} classes={stats.classes} />
            </ChartBox>
          </>
        )}
      </div>
    </aside>
  );
}
