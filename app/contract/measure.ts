// Contract group: the project's measurement settings: which classes are particles (every other
// class, and unclassified segments, are grains). Stored in the project's settings table; the
// statistics (stats.compute, the Measure tab's ASTM G) read them. Merged into app/contract/index.ts.
import { z } from 'zod';
import { method, none, id } from './define';

export interface MeasureRoles {
  /** Class ids counted as particles, ascending. */
  particleClasses: number[];
}

export const measureMethods = {
  'measure.roles': method<MeasureRoles>()(none),
  /** Sets which classes are particles (unknown class ids are refused). */
  'measure.setRoles': method<MeasureRoles>()(z.object({ particleClasses: z.array(id).max(10_000) })),
};
