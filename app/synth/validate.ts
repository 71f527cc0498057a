// Option checks shared by the generators: a wrong option fails fast with a message naming it.

export function checkSize(width: number, height: number): void {
  for (const [k, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < 16 || v > 16384) throw new RangeError(`${k} must be an integer from 16 to 16384, got ${v}.`);
  }
}

export function checkRange(name: string, v: number, lo: number, hi: number): void {
  if (!(v >= lo && v <= hi)) throw new RangeError(`${name} must be from ${lo} to ${hi}, got ${v}.`);
}

export function checkBitDepth(v: number): void {
  if (v !== 8 && v !== 16) throw new RangeError(`bitDepth must be 8 or 16, got ${v}.`);
}
