// Global thresholds on intensity histograms (Otsu), for 8-bit, 16-bit and float images.

/**
 * Otsu's threshold: the value t maximising the between-class variance of {v <= t} and {v > t}.
 * Matches scikit-image's threshold_otsu for integer images (histogram over the value range
 * with unit-width bins); float images use 256 bins between min and max.
 */
export function otsuThreshold(data: Uint8Array | Uint16Array | Float32Array): number {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min)) return min;
  const integer = !(data instanceof Float32Array);
  const bins = integer ? Math.min(max - min + 1, 65536) : 256;
  const scale = integer ? 1 : (bins - 1) / (max - min);
  const hist = new Float64Array(bins);
  for (let i = 0; i < data.length; i++) hist[Math.round((data[i]! - min) * scale)]!++;
  const centre = (b: number) => min + b / scale;
  let total = 0;
  let sumAll = 0;
  for (let b = 0; b < bins; b++) {
    total += hist[b]!;
    sumAll += hist[b]! * centre(b);
  }
  let w0 = 0;
  let sum0 = 0;
  let best = -1;
  let bestB = 0;
  for (let b = 0; b < bins - 1; b++) {
    w0 += hist[b]!;
    sum0 += hist[b]! * centre(b);
    const w1 = total - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0;
    const m1 = (sumAll - sum0) / w1;
    const between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      bestB = b;
    }
  }
  return centre(bestB);
}
