// Service handlers: Dataset export, segmentation import and measurements.
import type { exportMethods } from '../../app/contract/export';
import type { Handlers, ServiceContext } from './context';

export type ExportMethods = keyof typeof exportMethods;

export function exportHandlers(_ctx: ServiceContext): Handlers<ExportMethods> {
  return {};
}
