// The slice spacing a Fiji/ImageJ stack records in its TIFF ImageDescription ("ImageJ=…",
// "spacing=0.5", "unit=micron"), so a saved Fiji stack imports with its z spacing.
import { unitToUm } from '../calibration/units';

/** Spacing in µm, or null when the description is not ImageJ's or names no spacing or known unit. */
export function imageJSpacingUm(description: string): number | null {
  if (!/^ImageJ=/m.test(description)) return null;
  const spacing = /^spacing=([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$/m.exec(description);
  const unit = /^unit=(.+)$/m.exec(description);
  if (!spacing || !unit) return null;
  const f = unitToUm(unit[1]!.trim().replace(/\\u00B5/gi, 'µ'));
  const v = Number(spacing[1]);
  return f !== null && v > 0 && Number.isFinite(v) ? v * f : null;
}
