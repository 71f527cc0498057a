// Mounts whichever model dialog the workspace has open (Models, or "Which engine fits").
import type { ModelDialogs } from '../../workspace/model-dialogs';
import { EngineFitDialog } from './EngineFitDialog';
import { ModelsDialog } from './ModelsDialog';

export function ModelTools({ dialogs, readOnly, onModelsChanged }: { dialogs: ModelDialogs; readOnly: boolean; onModelsChanged(): void }) {
  if (dialogs.open === 'models') return <ModelsDialog onClose={dialogs.close} onChanged={onModelsChanged} readOnly={readOnly} />;
  if (dialogs.open === 'engineFit') return <EngineFitDialog onClose={dialogs.close} readOnly={readOnly} />;
  return null;
}
