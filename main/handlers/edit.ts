// Service handlers: Editing label maps: apply edit operations, undo/redo, segment classes and review state.
import type { editMethods } from '../../app/contract/edit';
import type { Handlers, ServiceContext } from './context';

export type EditMethods = keyof typeof editMethods;

export function editHandlers(_ctx: ServiceContext): Handlers<EditMethods> {
  return {};
}
