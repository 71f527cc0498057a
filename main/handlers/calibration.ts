// Service handlers: image calibration (list, set typed or from a scale bar, detect from the stored
// files, project default).
import { readProjectImage } from '../images/stored';
import type { calibrationMethods } from '../../app/contract/calibration';
import { umPerPxFromScaleBar } from '../../app/calibration/units';
import { ServiceError } from '../../app/errors';
import { probeImage } from '../images/io';
import type { Handlers, ServiceContext } from './context';
import { applyDetected, calibrationOverview, mayApplyDetected, projectDefault, setCalibration, setProjectDefault } from '../calibration/store';
import { detectCalibration } from '../calibration/detect';

type CalibrationMethods = keyof typeof calibrationMethods;

export function calibrationHandlers(ctx: ServiceContext): Handlers<CalibrationMethods> {
  return {
    'calibration.list': () => calibrationOverview(ctx.project()),
    'calibration.set': (a) => {
      const store = ctx.project();
      const images = a.imageIds.map((i) => store.getImage(i));
      if (a.scaleBar) {
        const b = a.scaleBar;
        let um: number;
        try {
          um = umPerPxFromScaleBar(b.x0, b.y0, b.x1, b.y1, b.lengthUm);
        } catch (e) {
          throw new ServiceError('invalid-argument', `Scale bar: ${(e as Error).message}.`);
        }
        const px = Math.hypot(b.x1 - b.x0, b.y1 - b.y0);
        const detail = { vendor: null, where: `scale bar on ${images[0]!.name} from (${b.x0.toFixed(1)}, ${b.y0.toFixed(1)}) to (${b.x1.toFixed(1)}, ${b.y1.toFixed(1)})`, raw: `${b.lengthUm} µm over ${px.toFixed(1)} px` };
        return images.map((im) => setCalibration(store, im.id, um, 'scale-bar', detail));
      }
      const value = a.umPerPx ?? null;
      const fallback = value === null ? projectDefault(store) : null;
      return images.map((im) => (fallback !== null ? setCalibration(store, im.id, fallback, 'project-default') : setCalibration(store, im.id, value, 'typed')));
    },
    'calibration.detect': async (a) => {
      const store = ctx.project();
      const images = a.imageIds ? a.imageIds.map((i) => store.getImage(i)) : store.listImages();
      const out = [];
      for (const im of images) {
        const bytes = await readProjectImage(store.dir, im);
        const probed = await probeImage(bytes, im.name);
        const page = probed.pages[im.page];
        const detected = await detectCalibration(bytes, im.page, { path: null, width: im.width, format: probed.format, resolutionUm: page?.pixelSizeUm ?? null });
        const applied = detected !== null && mayApplyDetected(store, im, a.apply);
        if (applied) applyDetected(store, im.id, detected);
        out.push({ imageId: im.id, detected, applied });
      }
      return out;
    },
    'calibration.setDefault': (a) => {
      const store = ctx.project();
      const applied = setProjectDefault(store, a.umPerPx);
      return { projectDefault: projectDefault(store), applied };
    },
  };
}
