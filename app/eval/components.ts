// Region helpers of the correction-effort simulator: the largest connected component of a
// window's mask, and counting the objects of a truth map.
import type { Window } from './geometry';

export function largestComponent8(win: Window): Window {
  const w = win.width;
  return largestComponent(win, [-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1]);
}

export function largestComponent4(win: Window): Window {
  return largestComponent(win, [-win.width, -1, 1, win.width]);
}

/** The largest connected component (neighbour offsets given) of a window's mask, as a window of the same frame. */
function largestComponent(win: Window, N8: readonly number[]): Window {
  const { mask } = win;
  const label = new Int32Array(mask.length);
  const stack = new Int32Array(mask.length);
  let best = 0;
  let bestN = 0;
  let n = 0;
  for (let k0 = 0; k0 < mask.length; k0++) {
    if (!mask[k0] || label[k0]) continue;
    const l = ++n;
    let sp = 0;
    let size = 0;
    label[k0] = l;
    stack[sp++] = k0;
    while (sp > 0) {
      const k = stack[--sp]!;
      size++;
      for (const o of N8) {
        const q = k + o;
        if (q >= 0 && q < mask.length && mask[q] && !label[q]) {
          label[q] = l;
          stack[sp++] = q;
        }
      }
    }
    if (size > bestN) [best, bestN] = [l, size];
  }
  const out = new Uint8Array(mask.length);
  for (let k = 0; k < mask.length; k++) if (label[k] === best) out[k] = 1;
  return { ...win, mask: out };
}

/** Objects (distinct non-ignored ids) in a truth map with at least `minArea` pixels. */
export function countObjects(map: { data: ArrayLike<number> }, ignore: number, minArea: number): number {
  const area = new Map<number, number>();
  const d = map.data;
  let i = 0;
  while (i < d.length) {
    const v = d[i]!;
    const s = i;
    while (i < d.length && d[i] === v) i++;
    if (v !== ignore) area.set(v, (area.get(v) ?? 0) + (i - s));
  }
  let n = 0;
  for (const a of area.values()) if (a >= minArea) n++;
  return n;
}

