// `npm run bench`: runs every benchmark script in its own process, one after another (they measure
// time, so never in parallel), prints their figures and writes one report: docs/benchmarks.md and
// docs/benchmarks.json. Options: --data DIR (labelled sets; default ../shared/data), --only a,b.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { machine, round, type BenchResult } from './common';

const root = resolve(import.meta.dirname, '..', '..');
const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const data = resolve(opt('--data') ?? join(root, '..', 'shared', 'data'));
const only = opt('--only')?.split(',');
const order = ['db', 'quality', 'effort', 'cluster', 'learn', 'sam', 'edit', 'canvas', 'export'];
/** Report order: the listed benchmarks first, then the others by name. */
const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
const scripts = readdirSync(join(root, 'test', 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace('.bench.ts', ''))
  .filter((n) => !only || only.includes(n))
  .sort((a, b) => rank(a) - rank(b));

const benchDir = join(root, '.bench');
mkdirSync(benchDir, { recursive: true });
const results: (BenchResult & { seconds: number; exit: number | null; output?: string })[] = [];
for (const name of scripts) {
  rmSync(join(benchDir, `${name}.json`), { force: true });
  console.log(`\n=== ${name} ===`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join('test', 'bench', `${name}.bench.ts`), ...(existsSync(data) ? ['--data', data] : [])], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(r.stdout ?? '');
  const seconds = (Date.now() - t0) / 1000;
  const file = join(benchDir, `${name}.json`);
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchResult>;
    results.push({ name, machine: parsed.machine ?? machine(), date: parsed.date ?? new Date().toISOString(), rows: Array.isArray(parsed.rows) ? parsed.rows : [], seconds, exit: r.status, ...(Array.isArray(parsed.rows) ? {} : { output: JSON.stringify(parsed, null, 2).slice(0, 8000) }) });
  } else {
    results.push({ name, machine: machine(), date: new Date().toISOString(), rows: [], seconds, exit: r.status, output: (r.stdout ?? '').slice(-8000) });
  }
}

// With --only, the other benchmarks keep their sections from the last report (each with its own
// date and machine), so one benchmark can be re-run without losing the rest.
const reportJson = join(root, 'docs', 'benchmarks.json');
if (only && existsSync(reportJson)) {
  const previous = (JSON.parse(readFileSync(reportJson, 'utf8')) as { results?: typeof results }).results ?? [];
  for (const r of previous) if (!results.some((x) => x.name === r.name)) results.push(r);
  results.sort((a, b) => rank(a.name) - rank(b.name));
}

const md: string[] = [
  '# GrainLab benchmarks',
  '',
  `Made by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}; machine: ${machine()}.`,
  `Labelled data: ${existsSync(data) ? data : 'not found (real-data rows are n/a)'}.`,
  'Each benchmark ran alone in its own process. Figures come from this run; targets are from the issues.',
  '',
];
for (const r of results) {
  md.push(`## ${r.name}`, '', `${r.exit === 0 ? '' : `**exited with ${r.exit}** · `}${r.seconds.toFixed(0)} s · ${r.date.slice(0, 16).replace('T', ' ')} UTC · ${r.machine}`, '');
  if (r.rows.length) {
    md.push('| metric | value | unit | target | note |', '|---|---:|---|---|---|');
    for (const row of r.rows) md.push(`| ${row.metric} | ${typeof row.value === 'number' ? round(row.value) : row.value} | ${row.unit} | ${row.target ?? ''} | ${row.note ?? ''} |`);
  } else if (r.output) {
    md.push('```', r.output.trim(), '```');
  }
  md.push('');
}
mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(join(root, 'docs', 'benchmarks.md'), md.join('\n'));
writeFileSync(join(root, 'docs', 'benchmarks.json'), JSON.stringify({ machine: machine(), date: new Date().toISOString(), results }, null, 2));
console.log(`\nReport: docs/benchmarks.md, docs/benchmarks.json`);
if (results.some((r) => r.exit !== 0)) process.exitCode = 1;
