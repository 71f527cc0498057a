// Lengths as microscopes write them ("2.345 nm", "1.5625e-08" metres, "10um", "5 µm") in µm, and
// the check that a number is a plausible size of one pixel.

const TO_UM: Record<string, number> = {
  m: 1e6,
  mm: 1e3,
  cm: 1e4,
  um: 1,
  micron: 1,
  microns: 1,
  micrometer: 1,
  micrometre: 1,
  nm: 1e-3,
  pm: 1e-6,
  a: 1e-4,
  angstrom: 1e-4,
};

/** Smallest and largest pixel size accepted from metadata: 1 pm .. 1 mm. */
const MIN_PIXEL_UM = 1e-6;
const MAX_PIXEL_UM = 1e3;

export function plausiblePixelSize(um: number | null | undefined): um is number {
  return typeof um === 'number' && Number.isFinite(um) && um >= MIN_PIXEL_UM && um <= MAX_PIXEL_UM;
}

function normUnit(u: string): string {
  // µ (micro sign U+00B5, or Â µ when UTF-8 was read as Latin-1), μ (Greek mu U+03BC) and Å are written many ways.
  return u.trim().replace(/\u00c2(?=\u00b5)/g, '').replace(/[\u00b5\u03bc]/g, 'u').replace(/\u00c5|\u212b/g, 'a').toLowerCase();
}

/** The factor from `unit` to µm, or null for an unknown unit. */
export function unitToUm(unit: string): number | null {
  return TO_UM[normUnit(unit)] ?? null;
}

/**
 * A length "<number> [unit]" in µm; `defaultUnit` applies when no unit is written. Null when the
 * text holds no number or an unknown unit.
 */
export function lengthToUm(text: string, defaultUnit: string): number | null {
  const m = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z\u00c2\u00b5\u03bc\u00c5\u212b]*)\s*$/.exec(text);
  if (!m) return null;
  const v = Number(m[1]);
  const f = unitToUm(m[2] || defaultUnit);
  return Number.isFinite(v) && f !== null ? v * f : null;
}

/** Reads a length typed by a person: "0.25" (µm), "250 nm", "2.5um", "1.2 µm". Throws with a hint. */
export function parseTypedLength(text: string): number {
  const um = lengthToUm(text, 'um');
  if (um === null || !(um > 0)) throw new Error(`'${text}' is not a length; write a number with an optional unit, e.g. 0.25, 250nm or 2.5um`);
  return um;
}

/** µm per pixel from a scale bar drawn from (x0, y0) to (x1, y1) whose real length is `lengthUm`. */
export function umPerPxFromScaleBar(x0: number, y0: number, x1: number, y1: number, lengthUm: number): number {
  const px = Math.hypot(x1 - x0, y1 - y0);
  if (!(px > 0)) throw new Error('the scale bar has no length in pixels; draw it from one end of the bar to the other');
  if (!(lengthUm > 0)) throw new Error('the scale bar needs a positive length');
  return lengthUm / px;
}
