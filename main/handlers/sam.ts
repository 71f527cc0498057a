// Service handlers: SAM models, interactive prompts and SAM auto-segmentation.
import type { samMethods } from '../../app/contract/sam';
import { ServiceError } from '../../app/errors';
import type { Handlers, ServiceContext } from './context';

export type SamMethods = keyof typeof samMethods;

const HINT = 'No SAM model installed: segmentation uses the classic engine. Add one with `npx grainlab models fetch sam-vit-b-quant` (internet) or `npx grainlab models import sam-vit-b-quant <files>` (files brought on a USB stick).';

export function samHandlers(_ctx: ServiceContext): Handlers<SamMethods> {
  const notYet = (): never => {
    throw new ServiceError('unsupported', HINT);
  };
  return {
    'sam.status': () => ({ models: [], active: null, provider: null, hint: HINT }),
    'sam.select': notYet,
    'sam.prompt': notYet,
  };
}
