// The Measure tab: the open image's calibration (pixel size and where it came from; set or clear
// it by typing µm/px or nm/px, for this image, the chosen images, the uncalibrated ones or all;
// read it again from the files' metadata; the project default) and the measurement table of its
// segments (area, ECD, perimeter, class; µm when calibrated), linked to the canvas both ways,
// sortable and filterable (class, area or ECD range), with per-class summary rows, the project's
// choice of which classes are grains or particles, and the image's ASTM E112 grain size G.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { CalibrationOverview, GrainLabClient, ImageCalibration } from '../../../app/contract';
import type { ClassRecord } from '../../../app/types';
import type { EditorDocument } from '../../editor/document';
import type { Images } from '../../workspace/images';
import { classSummaries, filterRows, grainSize, measureRows, nextSort, NO_FILTER, rowForSelection, rowsToCsv, sortRows, typedBound, typedUmPerPx, type RowFilter, type Sort } from './table';

const SOURCE_LABEL: Record<string, string> = {
  metadata: 'microscope metadata',
  'resolution-tag': 'TIFF resolution tags',
  typed: 'typed',
  'scale-bar': 'scale bar',
  'project-default': 'project default',
};

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toLocaleString() : a >= 10 ? v.toFixed(1) : a >= 0.1 ? v.toFixed(2) : v.toPrecision(2);
}

interface CalibrationProps {
  client: GrainLabClient;
  images: Images;
  readOnly: boolean;
  onError(e: unknown): void;
  notify(kind: 'info' | 'error', text: string): void;
}

function CalibrationSection({ client, images, readOnly, onError, notify }: CalibrationProps) {
  const [overview, setOverview] = useState<CalibrationOverview | null>(null);
  const [text, setText] = useState('');
  const [unit, setUnit] = useState<'um' | 'nm'>('um');
  const { selected, chosen } = images;
  const load = () => void client.call('calibration.list', {}).then(setOverview).catch(onError);
  useEffect(load, [client, images.images]);
  const mine: ImageCalibration | undefined = overview?.images.find((i) => i.imageId === selected);
  const value = typedUmPerPx(text, unit);
  const after = (msg: string) => {
    notify('info', msg);
    void images.refresh().catch(onError);
  };
  const setFor = (ids: number[], umPerPx: number | null, what: string) =>
    void client
      .call('calibration.set', { imageIds: ids, umPerPx })
      .then(() => after(umPerPx === null ? `Calibration cleared for ${what}.` : `${fmt(umPerPx)} µm/px set for ${what}.`))
      .catch(onError);
  const uncalibrated = overview?.images.filter((i) => i.umPerPx === null || i.source === 'project-default').map((i) => i.imageId) ?? [];
  const plural = (n: number) => `${n} image${n === 1 ? '' : 's'}`;
  return (
    <section data-testid="calibration">
      <h3>Calibration</h3>
      {selected === null ? (
        <p className="muted">Open an image to see its pixel size.</p>
      ) : (
        <p data-testid="calibration-current">
          {mine?.umPerPx ? (
            <>
              <strong>{mine.umPerPx.toPrecision(4)} µm/px</strong> <span className="muted">({(mine.umPerPx * 1000).toPrecision(4)} nm/px)</span>
              <br />
              <span className="muted small-text" title={[mine.vendor, mine.where, mine.raw].filter(Boolean).join(' · ')}>
                source: {mine.source ? SOURCE_LABEL[mine.source] : 'set before sources were recorded'}
                {mine.vendor ? ` (${mine.vendor})` : ''}
              </span>
            </>
          ) : (
            <span className="warn-text">Not calibrated: lengths are in pixels.</span>
          )}
        </p>
      )}
      <div className="row">
        <input type="text" inputMode="decimal" placeholder="pixel size" value={text} onChange={(e) => setText(e.target.value)} data-testid="calibration-input" style={{ width: 90 }} />
        <select value={unit} onChange={(e) => setUnit(e.target.value as 'um' | 'nm')} data-testid="calibration-unit">
          <option value="um">µm/px</option>
          <option value="nm">nm/px</option>
        </select>
      </div>
      <div className="row">
        <button className="small" disabled={readOnly || value === null || selected === null} onClick={() => selected !== null && value !== null && setFor([selected], value, 'this image')} data-testid="calibration-set">
          This image
        </button>
        <button className="small" disabled={readOnly || value === null || chosen.length === 0} onClick={() => value !== null && setFor(chosen, value, plural(chosen.length))} title="The images chosen in the list">
          Chosen ({chosen.length})
        </button>
        <button className="small" disabled={readOnly || value === null || uncalibrated.length === 0} onClick={() => value !== null && setFor(uncalibrated, value, `${plural(uncalibrated.length)} without a calibration`)} data-testid="calibration-uncalibrated">
          Uncalibrated ({uncalibrated.length})
        </button>
        <button className="small" disabled={readOnly || value === null || !overview?.images.length} onClick={() => value !== null && overview && setFor(overview.images.map((i) => i.imageId), value, `all ${plural(overview.images.length)}`)}>
          All
        </button>
      </div>
      <div className="row">
        <button className="small" disabled={readOnly || selected === null || !mine?.umPerPx} onClick={() => selected !== null && setFor([selected], null, 'this image')} data-testid="calibration-clear" title="The project default, if any, then applies">
          Clear
        </button>
        <button
          className="small"
          disabled={readOnly || !overview?.images.length}
          title="Read the pixel size again from the files (FEI/Thermo, Zeiss, TESCAN, JEOL, ImageJ, resolution tags) for images without one"
          onClick={() =>
            void client
              .call('calibration.detect', { apply: 'uncalibrated' })
              .then((r) => after(`Read from the files: ${r.filter((x) => x.applied).length} of ${plural(r.length)} calibrated.`))
              .catch(onError)
          }
          data-testid="calibration-detect"
        >
          From files
        </button>
        <button
          className="small"
          disabled={readOnly || value === null}
          title="Given to every image that has no calibration of its own"
          onClick={() =>
            value !== null &&
            void client
              .call('calibration.setDefault', { umPerPx: value })
              .then((r) => after(`Project default ${fmt(value)} µm/px, given to ${plural(r.applied)}.`))
              .catch(onError)
          }
        >
          Project default
        </button>
      </div>
      {overview?.projectDefault != null && <p className="muted small-text">Project default: {overview.projectDefault.toPrecision(4)} µm/px</p>}
    </section>
  );
}

interface TableProps {
  client: GrainLabClient;
  readOnly: boolean;
  onError(e: unknown): void;
  doc: EditorDocument | null;
  docVersion: number;
  pixelSizeUm: number | null;
  classes: ClassRecord[];
  selection: readonly number[];
  onPick(id: number, box: { x: number; y: number; width: number; height: number }): void;
}

/** Rows drawn at most (the table scrolls); sorting and summaries use every segment. */
const MAX_ROWS = 1500;

/** The project's particle classes (measure.roles), and a setter that stores them. */
function useParticleClasses(client: GrainLabClient, classes: ClassRecord[], onError: (e: unknown) => void) {
  const [particles, setParticles] = useState<ReadonlySet<number>>(new Set());
  useEffect(() => {
    client.call('measure.roles', {}).then((r) => setParticles(new Set(r.particleClasses)), onError);
  }, [client, classes, onError]);
  const setRole = (classId: number, particle: boolean) => {
    const next = new Set(particles);
    if (particle) next.add(classId);
    else next.delete(classId);
    client.call('measure.setRoles', { particleClasses: [...next] }).then((r) => setParticles(new Set(r.particleClasses)), onError);
  };
  return { particles, setRole };
}

function FilterBar({ filter, onChange, classes, unit }: { filter: RowFilter; onChange(f: RowFilter): void; classes: ClassRecord[]; unit: string }) {
  const [min, setMin] = useState('');
  const [max, setMax] = useState('');
  const bound = (text: string) => typedBound(text);
  return (
    <div className="row measure-filter" data-testid="measure-filter">
      <select value={String(filter.classId)} onChange={(e) => onChange({ ...filter, classId: e.target.value === 'all' || e.target.value === 'none' ? e.target.value : Number(e.target.value) })} data-testid="filter-class" title="Show one class only">
        <option value="all">All classes</option>
        {classes.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
        <option value="none">No class</option>
      </select>
      <select value={filter.key} onChange={(e) => onChange({ ...filter, key: e.target.value as RowFilter['key'] })} data-testid="filter-key" title="The column the range applies to">
        <option value="area">Area ({unit}²)</option>
        <option value="ecd">ECD ({unit})</option>
      </select>
      <input className="gl-num" inputMode="decimal" placeholder="min" value={min} onChange={(e) => { setMin(e.target.value); onChange({ ...filter, min: bound(e.target.value) }); }} data-testid="filter-min" />
      <span className="muted">–</span>
      <input className="gl-num" inputMode="decimal" placeholder="max" value={max} onChange={(e) => { setMax(e.target.value); onChange({ ...filter, max: bound(e.target.value) }); }} data-testid="filter-max" />
      <button className="small" disabled={filter === NO_FILTER} onClick={() => { setMin(''); setMax(''); onChange(NO_FILTER); }} data-testid="filter-clear" title="Show every segment">
        ✕
      </button>
    </div>
  );
}

function MeasurementTable({ client, readOnly, onError, doc, docVersion, pixelSizeUm, classes, selection, onPick }: TableProps) {
  const [sort, setSort] = useState<Sort>({ key: 'area', dir: 'desc' });
  const [filter, setFilter] = useState<RowFilter>(NO_FILTER);
  const { particles, setRole } = useParticleClasses(client, classes, onError);
  const classOf = useMemo(() => (doc ? new Map([...doc.segments.values()].map((s) => [s.id, s.classId])) : null), [doc, docVersion]);
  const measured = useMemo(() => (doc && classOf ? measureRows(doc.labels, classOf, pixelSizeUm) : null), [doc, classOf, pixelSizeUm]);
  const size = useMemo(() => (doc && classOf ? grainSize(doc.labels, classOf, particles, pixelSizeUm) : null), [doc, classOf, particles, pixelSizeUm]);
  const sorted = useMemo(() => (measured ? sortRows(measured.rows, sort, classes) : []), [measured, sort, classes]);
  const rows = useMemo(() => filterRows(sorted, filter), [sorted, filter]);
  const summaries = useMemo(() => (measured ? classSummaries(measured.rows) : []), [measured]);
  const picked = rowForSelection(rows, selection);
  const body = useRef<HTMLTableSectionElement>(null);
  useEffect(() => {
    if (!picked) return;
    body.current?.querySelector(`[data-id="${picked.id}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [picked]);
  if (!doc || !measured) return <p className="muted">Segment the image to measure it.</p>;
  const u = measured.unit;
  const cls = (id: number | null) => classes.find((c) => c.id === id);
  const sel = new Set(selection);
  const head = (key: Sort['key'], label: string) => (
    <th onClick={() => setSort(nextSort(sort, key))} className="sortable" data-testid={`sort-${key}`} aria-sort={sort.key === key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      {label}
      {sort.key === key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
    </th>
  );
  const total = measured.rows.length;
  return (
    <>
      <section data-testid="grain-size">
        <h3>Grain size (ASTM E112)</h3>
        {pixelSizeUm === null ? (
          <p className="muted small-text">Set a calibration above to get the grain size number G.</p>
        ) : size ? (
          <p>
            <strong data-testid="astm-g">G {size.planimetricG.toFixed(1)}</strong> <span className="muted">planimetric ({Number.isInteger(size.grains) ? size.grains : size.grains.toFixed(1)} grains)</span> · G {size.interceptG.toFixed(1)} <span className="muted">intercept</span>
            {particles.size > 0 && <span className="muted small-text"> · particle classes left out</span>}
          </p>
        ) : (
          <p className="muted small-text">No grains to count in this image.</p>
        )}
      </section>
      <section>
        <h3>Per class</h3>
        <table className="measure-table summary" data-testid="class-summary">
          <thead>
            <tr>
              <th>Class</th>
              <th>n</th>
              <th>mean ECD ({u})</th>
              <th>area %</th>
            </tr>
          </thead>
          <tbody>
            {summaries.map((s) => (
              <tr key={s.classId ?? 'none'}>
                <td>{s.classId === null ? <span className="muted">none</span> : <><span className="swatch" style={{ background: cls(s.classId)?.color }} /> {cls(s.classId)?.name ?? s.classId}</>}</td>
                <td>{s.count}</td>
                <td>{fmt(s.meanEcd)}</td>
                <td>{(100 * s.areaFraction).toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {classes.length > 0 && (
        <section data-testid="class-roles">
          <h3 title="Grains count in the grain sizes and ASTM G; particles (carbides, pores, inclusions) are measured apart. Saved in the project; segments without a class are grains.">Grains and particles</h3>
          {classes.map((c) => (
            <div className="row" key={c.id}>
              <span className="swatch" style={{ background: c.color }} /> <span className="spacer">{c.name}</span>
              <select value={particles.has(c.id) ? 'particle' : 'grain'} disabled={readOnly} onChange={(e) => setRole(c.id, e.target.value === 'particle')} data-testid={`role-${c.id}`}>
                <option value="grain">grain</option>
                <option value="particle">particle</option>
              </select>
            </div>
          ))}
        </section>
      )}
      <section>
        <div className="row">
          <h3>
            Segments <span className="muted" data-testid="measure-count">({rows.length === total ? total : `${rows.length} of ${total}`})</span>
          </h3>
          <span className="spacer" />
          <button
            className="small"
            title="Download this table (the rows shown, in their order) as CSV"
            data-testid="measure-csv"
            onClick={() => {
              const url = URL.createObjectURL(new Blob([rowsToCsv(rows, u, classes)], { type: 'text/csv' }));
              const a = document.createElement('a');
              a.href = url;
              a.download = 'segments.csv';
              a.click();
              setTimeout(() => URL.revokeObjectURL(url), 1000);
            }}
          >
            CSV
          </button>
        </div>
        <FilterBar filter={filter} onChange={setFilter} classes={classes} unit={u} />
        <p className="muted small-text" data-testid="measure-unit">
          Areas in {u}², lengths in {u}{u === 'px' ? ' (set a calibration for µm)' : ''}. Click a row to show the segment.
        </p>
        <div className="measure-scroll">
          <table className="measure-table" data-testid="measure-table">
            <thead>
              <tr>
                {head('id', '#')}
                {head('class', 'Class')}
                {head('area', 'Area')}
                {head('ecd', 'ECD')}
                {head('perimeter', 'Perim.')}
              </tr>
            </thead>
            <tbody ref={body}>
              {rows.slice(0, MAX_ROWS).map((r) => (
                <tr key={r.id} data-id={r.id} className={sel.has(r.id) ? 'selected' : ''} onClick={() => onPick(r.id, r.bbox)} title={r.touchesEdge ? 'Cut by the image border' : undefined}>
                  <td>{r.id}</td>
                  <td>{r.classId === null ? '' : <><span className="swatch" style={{ background: cls(r.classId)?.color }} /> {cls(r.classId)?.name}</>}</td>
                  <td>{fmt(r.area)}</td>
                  <td>{fmt(r.ecd)}</td>
                  <td>{fmt(r.perimeter)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length > MAX_ROWS && <p className="muted small-text">First {MAX_ROWS} rows shown; sort to see others.</p>}
        </div>
      </section>
    </>
  );
}

export function MeasurePanel(p: CalibrationProps & TableProps) {
  return (
    <div className="measure-panel" data-testid="measure-panel">
      <CalibrationSection client={p.client} images={p.images} readOnly={p.readOnly} onError={p.onError} notify={p.notify} />
      <MeasurementTable client={p.client} readOnly={p.readOnly} onError={p.onError} doc={p.doc} docVersion={p.docVersion} pixelSizeUm={p.pixelSizeUm} classes={p.classes} selection={p.selection} onPick={p.onPick} />
    </div>
  );
}
