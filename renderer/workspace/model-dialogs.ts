// Which of the model dialogs is open: the Models dialog or the "Which engine fits" panel (one at a
// time; the actions registry's view.models / view.engineFit toggle them).
import { useCallback, useState } from 'react';

type ModelDialog = 'models' | 'engineFit';

export interface ModelDialogs {
  open: ModelDialog | null;
  toggle(which: ModelDialog): void;
  close(): void;
}

export function useModelDialogs(): ModelDialogs {
  const [open, setOpen] = useState<ModelDialog | null>(null);
  const toggle = useCallback((which: ModelDialog) => setOpen((o) => (o === which ? null : which)), []);
  const close = useCallback(() => setOpen(null), []);
  return { open, toggle, close };
}
