// Shared helpers for benchmarks: percentiles, machine description, writing .bench/<name>.json.
import { cpus, totalmem, platform, release } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

export function machine(): string {
  const c = cpus();
  return `${c.length} x ${c[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, Node ${process.version}`;
}

export interface BenchRow {
  metric: string;
  value: number | string;
  unit: string;
  target?: string;
  note?: string;
}

export interface BenchResult {
  name: string;
  machine: string;
  date: string;
  rows: BenchRow[];
}

export function writeResult(name: string, rows: BenchRow[]): BenchResult {
  const result: BenchResult = { name, machine: machine(), date: new Date().toISOString(), rows };
  const dir = join(process.cwd(), '.bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(result, null, 2));
  for (const r of rows) console.log(`${name.padEnd(10)} ${r.metric.padEnd(52)} ${String(typeof r.value === 'number' ? round(r.value) : r.value).padStart(12)} ${r.unit.padEnd(10)} ${r.target ?? ''}`);
  return result;
}

export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const a = Math.abs(v);
  return a >= 100 ? Math.round(v) : a >= 1 ? Math.round(v * 100) / 100 : Math.round(v * 10000) / 10000;
}

export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
