// A small modal frame for the export and import dialogs (Escape or × closes it when allowed).
import { useEffect, type ReactNode } from 'react';
import { ServiceError } from '../../../app/errors';

export function errorText(e: unknown): string {
  if (e instanceof ServiceError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

export function Modal({ title, onClose, children, testId }: { title: string; onClose?: () => void; children: ReactNode; testId?: string }) {
  useEffect(() => {
    if (!onClose) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="gl-modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose?.()}>
      <div className="gl-modal" role="dialog" aria-modal="true" aria-label={title} data-testid={testId}>
        <div className="gl-modal-head">
          <h2>{title}</h2>
          {onClose && (
            <button className="small" onClick={onClose} aria-label="Close">
              ×
            </button>
          )}
        </div>
        {children}
      </div>
    </div>
  );
}
