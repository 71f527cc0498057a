// Service handlers: the project's measurement settings (which classes are particles).
import type { measureMethods } from '../../app/contract/measure';
import { measureRoles, setMeasureRoles } from '../measure/roles';
import type { Handlers, ServiceContext } from './context';

export function measureHandlers(ctx: ServiceContext): Handlers<keyof typeof measureMethods> {
  return {
    'measure.roles': () => measureRoles(ctx.project()),
    'measure.setRoles': (a) => setMeasureRoles(ctx.project(), a.particleClasses),
  };
}
