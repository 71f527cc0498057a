// The segmentation settings of the open project as the Segment panel edits them, and how they
// become the classic engine's options (segment.auto, segment.preview, presets.save): options that
// do not apply to the chosen mode are left out, the adaptive window is made odd, and everything is
// checked against the contract's schema so a bad value is named before anything runs.
import { ClassicOptionsSchema, type ClassicOptions } from '../../app/contract';

/** What the panel holds: the classic options with every field the panel shows filled in. */
export interface SettingsForm {
  mode: 'phase' | 'grain';
  /** Dark objects: the darker side of the threshold is the foreground. */
  invert: boolean;
  minArea: number;
  /** 0 = none. */
  sigma: number;
  /** Phase mode. */
  classes: number;
  threshold: 'otsu' | 'adaptive';
  blockSize: number;
  offset: number;
  labelBackground: boolean;
  /** Grain mode. */
  boundaryStyle: 'auto' | 'lines' | 'edges';
  boundaries: 'threshold' | 'canny';
  /** Grain mode tuning; null = the engine's default. */
  lineWidth: number | null;
  seedDepth: number | null;
  mergeContrast: number | null;
}

export const DEFAULT_FORM: SettingsForm = {
  mode: 'phase',
  invert: false,
  minArea: 16,
  sigma: 0,
  classes: 2,
  threshold: 'otsu',
  blockSize: 51,
  offset: 0,
  labelBackground: false,
  boundaryStyle: 'auto',
  boundaries: 'threshold',
  lineWidth: null,
  seedDepth: null,
  mergeContrast: null,
};

/** The engine options for a form: only what applies to its mode, validated by the contract's schema. Throws with the field's name when a value is out of range. */
export function formToOptions(f: SettingsForm): ClassicOptions {
  const o: Record<string, unknown> = { mode: f.mode, invert: f.invert, minArea: Math.round(f.minArea) };
  if (f.sigma > 0) o.sigma = f.sigma;
  if (f.mode === 'phase') {
    if (f.classes !== 2) o.classes = f.classes;
    if (f.threshold === 'adaptive') {
      o.threshold = 'adaptive';
      const b = Math.max(3, Math.round(f.blockSize));
      o.blockSize = b % 2 === 1 ? b : b + 1;
      if (f.offset !== 0) o.offset = f.offset;
    }
    if (f.labelBackground) o.labelBackground = true;
  } else {
    if (f.boundaryStyle !== 'auto') o.boundaryStyle = f.boundaryStyle;
    if (f.boundaries !== 'threshold') o.boundaries = f.boundaries;
    if (f.lineWidth !== null) o.lineWidth = f.lineWidth;
    if (f.seedDepth !== null) o.seedDepth = f.seedDepth;
    if (f.mergeContrast !== null) o.mergeContrast = f.mergeContrast;
  }
  const r = ClassicOptionsSchema.safeParse(o);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`Segmentation setting "${issue.path.join('.')}": ${issue.message}`);
  }
  return r.data;
}

/** A form from stored options (a preset's, or those a segmentation was recorded with); unknown or invalid fields fall back to the defaults. */
export function optionsToForm(settings: Record<string, unknown> | null | undefined): SettingsForm {
  const r = ClassicOptionsSchema.safeParse(settings ?? {});
  if (!r.success) return { ...DEFAULT_FORM };
  const o = r.data;
  return {
    mode: o.mode,
    invert: o.invert,
    minArea: o.minArea,
    sigma: o.sigma ?? DEFAULT_FORM.sigma,
    classes: o.classes ?? DEFAULT_FORM.classes,
    threshold: o.threshold ?? DEFAULT_FORM.threshold,
    blockSize: o.blockSize ?? DEFAULT_FORM.blockSize,
    offset: o.offset ?? DEFAULT_FORM.offset,
    labelBackground: o.labelBackground ?? DEFAULT_FORM.labelBackground,
    boundaryStyle: o.boundaryStyle ?? DEFAULT_FORM.boundaryStyle,
    boundaries: o.boundaries ?? DEFAULT_FORM.boundaries,
    lineWidth: o.lineWidth ?? null,
    seedDepth: o.seedDepth ?? null,
    mergeContrast: o.mergeContrast ?? null,
  };
}

/** Whether two forms give the same engine options (so a preset is still "the" settings). */
export function sameOptions(a: SettingsForm, b: SettingsForm): boolean {
  try {
    return JSON.stringify(formToOptions(a)) === JSON.stringify(formToOptions(b));
  } catch {
    return false;
  }
}

/** The image region visible in a viewport (screen size in CSS px), clamped to the image; the whole image when nothing is visible. */
export function visibleRegion(view: { scale: number; x: number; y: number } | null, screenW: number, screenH: number, imageW: number, imageH: number): { x: number; y: number; width: number; height: number } {
  if (!view || view.scale <= 0 || screenW <= 0 || screenH <= 0) return { x: 0, y: 0, width: imageW, height: imageH };
  const x0 = Math.max(0, Math.floor(-view.x / view.scale));
  const y0 = Math.max(0, Math.floor(-view.y / view.scale));
  const x1 = Math.min(imageW, Math.ceil((screenW - view.x) / view.scale));
  const y1 = Math.min(imageH, Math.ceil((screenH - view.y) / view.scale));
  if (x1 <= x0 || y1 <= y0) return { x: 0, y: 0, width: imageW, height: imageH };
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
