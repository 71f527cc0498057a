// Plots for the Measurements panel, hand-written as SVG (no chart library is installed): grain-size
// histogram (linear or log x), cumulative distribution and phase-fraction bars. Styles are SVG
// attributes, not CSS, so an exported SVG/PNG looks the same outside the app (white paper style).
import type { Ref } from 'react';
import { cumulativeDistribution, histogram } from '../../../app/stats/summary';
import type { ClassRecord } from '../../../app/types';
import type { PhaseFraction } from '../../../app/stats/summary';

const W = 400;
const H = 240;
const M = { l: 52, r: 14, t: 28, b: 42 };
const FONT = 'Helvetica, Arial, sans-serif';
const INK = '#222222';
const GRID = '#e3e3e3';

/** "Nice" ticks (1, 2, 5 x 10^k steps) covering [lo, hi]. */
function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/**
 * Ticks for a log axis over [lo, hi] (both > 0): powers of ten when there are at least three, else
 * 1-2-5 steps, else every integer multiple of a power of ten (narrow ranges), else linear ticks.
 */
function logTicks(lo: number, hi: number): number[] {
  const within = (mults: number[]) => {
    const out: number[] = [];
    for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
      for (const m of mults) {
        const v = Number((m * 10 ** k).toPrecision(12));
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
      }
    }
    return out;
  };
  for (const mults of [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    const t = within(mults);
    if (t.length >= 3) return t.length > 9 ? t.filter((_, i) => i % Math.ceil(t.length / 9) === 0) : t;
  }
  return linearTicks(lo, hi, 4).filter((v) => v > 0);
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(3)));
}

interface Scale {
  (v: number): number;
  ticks: number[];
}

function xScale(lo: number, hi: number, log: boolean): Scale {
  const t = (v: number) => (log ? Math.log10(v) : v);
  const a = t(lo);
  const b = t(hi);
  const f = ((v: number) => M.l + ((t(v) - a) / (b - a || 1)) * (W - M.l - M.r)) as Scale;
  f.ticks = log ? logTicks(lo, hi) : linearTicks(lo, hi);
  return f;
}

function yScale(lo: number, hi: number, ticks?: number[]): Scale {
  const f = ((v: number) => H - M.b - ((v - lo) / (hi - lo || 1)) * (H - M.t - M.b)) as Scale;
  f.ticks = ticks ?? linearTicks(lo, hi, 4);
  return f;
}

function Frame({ title, xLabel, yLabel, x, y, xTickFormat = fmtTick, yTickFormat = fmtTick }: { title: string; xLabel: string; yLabel: string; x: Scale; y: Scale; xTickFormat?: (v: number) => string; yTickFormat?: (v: number) => string }) {
  return (
    <g fontFamily={FONT} fontSize={10} fill={INK}>
      <rect x={0} y={0} width={W} height={H} fill="#ffffff" />
      {y.ticks.map((v) => (
        <g key={`y${v}`}>
          <line x1={M.l} x2={W - M.r} y1={y(v)} y2={y(v)} stroke={GRID} strokeWidth={1} />
          <text x={M.l - 5} y={y(v) + 3} textAnchor="end">
            {yTickFormat(v)}
          </text>
        </g>
      ))}
      {x.ticks.map((v) => (
        <g key={`x${v}`}>
          <line x1={x(v)} x2={x(v)} y1={H - M.b} y2={H - M.b + 4} stroke={INK} strokeWidth={1} />
          <text x={x(v)} y={H - M.b + 15} textAnchor="middle">
            {xTickFormat(v)}
          </text>
        </g>
      ))}
      <line x1={M.l} x2={W - M.r} y1={H - M.b} y2={H - M.b} stroke={INK} strokeWidth={1} />
      <line x1={M.l} x2={M.l} y1={M.t} y2={H - M.b} stroke={INK} strokeWidth={1} />
      <text x={W / 2} y={16} textAnchor="middle" fontSize={12} fontWeight="bold">
        {title}
      </text>
      <text x={(M.l + W - M.r) / 2} y={H - 8} textAnchor="middle">
        {xLabel}
      </text>
      <text transform={`translate(13 ${(M.t + H - M.b) / 2}) rotate(-90)`} textAnchor="middle">
        {yLabel}
      </text>
    </g>
  );
}

function Empty({ title, text, svgRef }: { title: string; text: string; svgRef?: Ref<SVGSVGElement> }) {
  return (
    <svg ref={svgRef} viewBox={`0 0 ${W} ${H}`} className="gl-chart" role="img" aria-label={title}>
      <rect x={0} y={0} width={W} height={H} fill="#ffffff" />
      <text x={W / 2} y={H / 2} textAnchor="middle" fontFamily={FONT} fontSize={12} fill="#777777">
        {text}
      </text>
    </svg>
  );
}

export interface SizePlotProps {
  values: Float64Array;
  unit: 'um' | 'px';
  log: boolean;
  bins?: number;
  svgRef?: Ref<SVGSVGElement>;
}

const unitText = (u: 'um' | 'px') => (u === 'um' ? 'µm' : 'px');

export function SizeHistogram({ values, unit, log, bins, svgRef }: SizePlotProps) {
  const title = 'Grain size distribution (ECD)';
  const h = values.length ? histogram(values, { scale: log ? 'log' : 'linear', ...(bins ? { bins } : {}) }) : null;
  if (!h || h.counts.length === 0) return <Empty title={title} text="No grains to plot" svgRef={svgRef} />;
  const lo = h.edges[0]!;
  const hi = h.edges[h.edges.length - 1]!;
  const x = xScale(lo, hi, log);
  const top = Math.max(...h.counts);
  const y = yScale(0, top, linearTicks(0, top, 4).filter((v) => Number.isInteger(v)));
  return (
    <svg ref={svgRef} viewBox={`0 0 ${W} ${H}`} className="gl-chart" role="img" aria-label={title} data-testid="chart-histogram">
      <Frame title={title} xLabel={`Equivalent circle diameter (${unitText(unit)})${log ? ', log scale' : ''}`} yLabel="Grains" x={x} y={y} />
      <g fill="#3a78c2" stroke="#ffffff" strokeWidth={0.5}>
        {h.counts.map((c, k) =>
          c > 0 ? (
            <rect key={k} className="gl-bar" x={x(h.edges[k]!)} y={y(c)} width={Math.max(0.5, x(h.edges[k + 1]!) - x(h.edges[k]!))} height={y(0) - y(c)}>
              <title>{`${fmtTick(h.edges[k]!)}–${fmtTick(h.edges[k + 1]!)} ${unitText(unit)}: ${c}`}</title>
            </rect>
          ) : null,
        )}
      </g>
    </svg>
  );
}

export function CumulativePlot({ values, unit, log, svgRef }: SizePlotProps) {
  const title = 'Cumulative distribution (number-weighted)';
  const c = cumulativeDistribution(log ? values.filter((v) => v > 0) : values);
  if (c.x.length === 0) return <Empty title={title} text="No grains to plot" svgRef={svgRef} />;
  let lo = c.x[0]!;
  let hi = c.x[c.x.length - 1]!;
  if (hi === lo) {
    lo = log ? lo / 2 : lo - 0.5;
    hi = log ? hi * 2 : hi + 0.5;
  }
  const x = xScale(lo, hi, log);
  const y = yScale(0, 1, [0, 0.25, 0.5, 0.75, 1]);
  let d = `M${x(lo).toFixed(2)},${y(0).toFixed(2)}`;
  let prev = 0;
  for (let i = 0; i < c.x.length; i++) {
    const px = x(c.x[i]!).toFixed(2);
    d += ` L${px},${y(prev).toFixed(2)} L${px},${y(c.p[i]!).toFixed(2)}`;
    prev = c.p[i]!;
  }
  d += ` L${x(hi).toFixed(2)},${y(1).toFixed(2)}`;
  const medianIdx = c.p.findIndex((p) => p >= 0.5);
  const median = c.x[medianIdx]!;
  return (
    <svg ref={svgRef} viewBox={`0 0 ${W} ${H}`} className="gl-chart" role="img" aria-label={title} data-testid="chart-cumulative">
      <Frame title={title} xLabel={`Equivalent circle diameter (${unitText(unit)})${log ? ', log scale' : ''}`} yLabel="Fraction of grains ≤ size" x={x} y={y} yTickFormat={(v) => `${Math.round(v * 100)}%`} />
      <line x1={x(median)} x2={x(median)} y1={y(0)} y2={y(0.5)} stroke="#999999" strokeDasharray="3 3" />
      <line x1={M.l} x2={x(median)} y1={y(0.5)} y2={y(0.5)} stroke="#999999" strokeDasharray="3 3" />
      <text x={x(median) + (x(median) > W * 0.6 ? -4 : 4)} y={y(0.5) - 4} textAnchor={x(median) > W * 0.6 ? 'end' : 'start'} fontFamily={FONT} fontSize={10} fill="#555555">{`median ${fmtTick(median)} ${unitText(unit)}`}</text>
      <path d={d} fill="none" stroke="#c2410c" strokeWidth={1.6} />
    </svg>
  );
}

export function PhaseBars({ phases, classes, svgRef }: { phases: PhaseFraction[]; classes: ClassRecord[]; svgRef?: Ref<SVGSVGElement> }) {
  const title = 'Phase area fractions';
  if (phases.length === 0) return <Empty title={title} text="No segmented area" svgRef={svgRef} />;
  const byId = new Map(classes.map((c) => [c.id, c]));
  const rows = phases.map((p) => ({
    name: p.classId === null ? 'unclassified' : (byId.get(p.classId)?.name ?? `class ${p.classId}`),
    color: p.classId === null ? '#9a9a9a' : (byId.get(p.classId)?.color ?? '#777777'),
    f: p.fractionOfImage,
  }));
  const rest = 1 - rows.reduce((s, r) => s + r.f, 0);
  if (rest > 1e-6) rows.push({ name: 'not segmented', color: '#e0e0e0', f: rest });
  const height = M.t + 22 * rows.length + 40;
  const left = 110;
  const x = (f: number) => left + f * (W - left - 60);
  return (
    <svg ref={svgRef} viewBox={`0 0 ${W} ${height}`} className="gl-chart" role="img" aria-label={title} data-testid="chart-phases">
      <rect x={0} y={0} width={W} height={height} fill="#ffffff" />
      <g fontFamily={FONT} fontSize={10} fill={INK}>
        <text x={W / 2} y={16} textAnchor="middle" fontSize={12} fontWeight="bold">
          {title}
        </text>
        {[0, 0.25, 0.5, 0.75, 1].map((t) => (
          <g key={t}>
            <line x1={x(t)} x2={x(t)} y1={M.t} y2={M.t + 22 * rows.length} stroke={GRID} />
            <text x={x(t)} y={M.t + 22 * rows.length + 14} textAnchor="middle">{`${t * 100}%`}</text>
          </g>
        ))}
        {rows.map((r, k) => (
          <g key={r.name} transform={`translate(0 ${M.t + 22 * k})`}>
            <text x={left - 6} y={14} textAnchor="end">
              {r.name.length > 18 ? `${r.name.slice(0, 17)}…` : r.name}
            </text>
            <rect className="gl-bar" x={left} y={3} width={Math.max(0.5, x(r.f) - left)} height={15} fill={r.color} stroke="#555555" strokeWidth={0.5} />
            <text x={x(r.f) + 4} y={14}>{`${(100 * r.f).toFixed(1)}%`}</text>
          </g>
        ))}
        <text x={(left + W - 60) / 2} y={height - 8} textAnchor="middle">
          Fraction of image area
        </text>
      </g>
    </svg>
  );
}
