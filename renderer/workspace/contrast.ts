// The display window of the open image: a 0.5–99.5 percentile stretch when it opens, editable.
// Analysis always uses the raw values.
import { useMemo, useState } from 'react';
import { fullWindow, percentileWindow, type DisplayWindow } from '../../app/image/display';
import type { RasterImage } from '../../app/types';

export interface Contrast {
  window: DisplayWindow | null;
  set(w: DisplayWindow): void;
  auto(): void;
  full(): void;
  /** Highest raw value of the image's bit depth. */
  bitMax: number;
}

export function useContrast(raster: RasterImage | null): Contrast {
  const automatic = useMemo(() => (raster ? percentileWindow(raster) : null), [raster]);
  // A window someone set, kept only for the image it was set on.
  const [custom, setCustom] = useState<{ raster: RasterImage; window: DisplayWindow } | null>(null);
  const window = custom && custom.raster === raster ? custom.window : automatic;
  return {
    window,
    set: (w) => raster && setCustom({ raster, window: w }),
    auto: () => raster && setCustom({ raster, window: percentileWindow(raster) }),
    full: () => raster && setCustom({ raster, window: fullWindow(raster) }),
    bitMax: raster?.bitDepth === 16 ? 65535 : 255,
  };
}
