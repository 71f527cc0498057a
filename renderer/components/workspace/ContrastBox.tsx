// The Contrast box under the canvas: the display window's low and high raw values, Auto and Full.
import type { Contrast } from '../../workspace/contrast';

export function ContrastBox({ contrast }: { contrast: Contrast }) {
  const w = contrast.window;
  if (!w) return null;
  return (
    <div className="contrast" title="Display window: raw values between low and high are stretched to black..white. Analysis always uses raw values.">
      <span>Contrast</span>
      <input type="number" min={0} max={contrast.bitMax} value={w.low} onChange={(e) => contrast.set({ ...w, low: Math.min(Number(e.target.value), w.high - 1) })} data-testid="window-low" />
      <input type="number" min={0} max={contrast.bitMax} value={w.high} onChange={(e) => contrast.set({ ...w, high: Math.max(Number(e.target.value), w.low + 1) })} data-testid="window-high" />
      <button className="small" onClick={contrast.auto} title="0.5–99.5 percentile stretch">
        Auto
      </button>
      <button className="small" onClick={contrast.full} title="Full range of the bit depth">
        Full
      </button>
    </div>
  );
}
