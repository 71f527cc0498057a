// Quantiles of float samples, one place for both kinds the pipelines use: `quantile`, exact
// (numpy's linear interpolation; the classic engine's Canny thresholds), and
// `histogramQuantile`, coarse over a mask (app/segment's Canny). They give different numbers by
// design; results of either engine depend on which one it uses.

/** The q-quantile (numpy's linear interpolation) of a float array; exact below 4 M values. */
export function quantile(values: Float32Array, q: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  if (n <= 1 << 22) {
    const s = values.slice().sort();
    const pos = q * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, n - 1);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  }
  // Large images: a fine histogram is close enough and avoids sorting tens of millions of floats.
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min)) return min;
  const bins = 1 << 16;
  const hist = new Float64Array(bins);
  const scale = (bins - 1) / (max - min);
  for (let i = 0; i < n; i++) hist[Math.floor((values[i]! - min) * scale)]!++;
  const target = q * (n - 1);
  let cum = 0;
  for (let b = 0; b < bins; b++) {
    if (cum + hist[b]! > target) return min + (b + (target - cum) / hist[b]!) / scale;
    cum += hist[b]!;
  }
  return max;
}

/**
 * The q-quantile (0..1) of the values (those where `mask` is set), from a 4096-bin histogram
 * between 0 and the maximum: coarse and fast, for thresholds of non-negative magnitudes
 * (app/segment's Canny on SAM mask logits).
 */
export function histogramQuantile(values: Float32Array, q: number, mask?: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if ((!mask || mask[i]) && values[i]! > max) max = values[i]!;
  if (max === 0) return 0;
  const bins = 4096;
  const hist = new Uint32Array(bins);
  const scale = (bins - 1) / max;
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask && !mask[i]) continue;
    hist[Math.round(values[i]! * scale)]!++;
    total++;
  }
  const target = q * total;
  let acc = 0;
  for (let b = 0; b < bins; b++) {
    acc += hist[b]!;
    if (acc >= target) return b / scale;
  }
  return max;
}
