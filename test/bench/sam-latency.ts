// Benchmark (not a test): click-to-mask latency with a cached embedding on the tiny SAM models, split into
// model time (session.run in the worker) and pipeline overhead (prompt tensors, output selection,
// transfer to the caller), p50/p95, at 1024^2 and 4096^2. Also reports preprocessing + encoder time.
// Run: node --import tsx test/bench/sam-latency.ts [clicks=30] [sizes=1024,4096]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RasterImage } from '../../app/types';
import { buildTinySamModels } from '../../scripts/build-tiny-sam';
import { SamEngine, type DecodeOptions } from '../../main/sam/engine';

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

function checkerImage(side: number): RasterImage {
  // 8 x 8 blocks of alternating brightness: every click finds a region.
  const data = new Uint8Array(side * side * 3);
  const block = side / 8;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = (Math.floor(x / block) + Math.floor(y / block)) % 2 === 0 ? 200 : 40;
      data.fill(v, (y * side + x) * 3, (y * side + x) * 3 + 3);
    }
  }
  return { width: side, height: side, channels: 3, bitDepth: 8, data };
}

const clicks = Number(process.argv[2] ?? 30);
const sizes = (process.argv[3] ?? '1024,4096').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'grainlab-sam-bench-'));
const models = buildTinySamModels(dir);
const engine = await SamEngine.load({ encoder: models.encoderNchw, decoder: models.decoder }, { threads: 1 });
console.log(`provider: ${engine.doctor().summary}`);
console.log('size      | variant                 | embed (pre + model) ms | click p50 / p95 ms | model p50 / p95 ms | overhead p50 / p95 ms');
const variants: [string, DecodeOptions][] = [
  ['all 3 masks, logits', {}],
  ['best mask, logits', { best: true }],
  ['best mask, binary', { best: true, output: 'binary', lowRes: false }],
  ['best mask, frame res', { best: true, resolution: 'frame' }],
];
try {
  for (const side of sizes) {
    const raster = checkerImage(side);
    const emb = await engine.embed(`bench-${side}`, raster);
    const t = emb.timing!;
    for (const [name, options] of variants) {
      const total: number[] = [];
      const model: number[] = [];
      for (let i = 0; i < clicks + 2; i++) {
        const x = ((i * 37) % 97) / 97 * (side - 1);
        const y = ((i * 53) % 89) / 89 * (side - 1);
        const t0 = performance.now();
        const r = await engine.decode(emb, { points: [{ x, y, label: 1 }] }, options);
        const dt = performance.now() - t0;
        if (i < 2) continue; // warm-up
        total.push(dt);
        model.push(r.timing.modelMs);
      }
      const over = total.map((v, i) => v - model[i]!);
      const f = (a: number[]) => `${percentile(a, 50).toFixed(1)} / ${percentile(a, 95).toFixed(1)}`;
      console.log(
        `${`${side}^2`.padEnd(9)} | ${name.padEnd(23)} | ${`${t.preprocessMs.toFixed(0)} + ${t.modelMs.toFixed(0)}`.padEnd(22)} | ${f(total).padEnd(18)} | ${f(model).padEnd(18)} | ${f(over)}`,
      );
    }
  }
} finally {
  await engine.dispose();
  rmSync(dir, { recursive: true, force: true });
}
