// A question with named answers in a modal (not window.confirm, whose OK/Cancel cannot say "keep
// mine" or "replace everything"). useChoice() gives the element to render and an async `ask`.
// While open it takes the keyboard: Enter picks the primary answer, Escape cancels.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Modal } from '../export/Modal';
import '../export/export.css';

interface ChoiceAnswer {
  id: string;
  label: string;
  primary?: boolean;
  title?: string;
}

export interface ChoiceQuestion {
  title: string;
  body: ReactNode;
  answers: ChoiceAnswer[];
  /** Label of the answer that does nothing (default "Cancel"). */
  cancel?: string;
  testId?: string;
}

export function useChoice(): [ReactNode, (q: ChoiceQuestion) => Promise<string | null>] {
  const [open, setOpen] = useState<ChoiceQuestion | null>(null);
  const resolver = useRef<((v: string | null) => void) | null>(null);
  const answer = useCallback((v: string | null) => {
    resolver.current?.(v);
    resolver.current = null;
    setOpen(null);
  }, []);
  const ask = useCallback((q: ChoiceQuestion) => {
    resolver.current?.(null);
    setOpen(q);
    return new Promise<string | null>((resolve) => (resolver.current = resolve));
  }, []);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
      // The workspace's shortcuts wait while the question is open.
      e.stopPropagation();
      if (e.key === 'Escape') answer(null);
      else if (e.key === 'Enter') {
        e.preventDefault();
        const p = open.answers.find((a) => a.primary);
        if (p) answer(p.id);
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [open, answer]);
  const element = open ? (
    <Modal title={open.title} onClose={() => answer(null)} testId={open.testId ?? 'choice-dialog'}>
      <div className="gl-form">{open.body}</div>
      <div className="gl-actions">
        <button onClick={() => answer(null)} data-testid="choice-cancel">
          {open.cancel ?? 'Cancel'}
        </button>
        {open.answers.map((a) => (
          <button key={a.id} className={a.primary ? 'primary' : undefined} title={a.title} onClick={() => answer(a.id)} data-testid={`choice-${a.id}`}>
            {a.label}
          </button>
        ))}
      </div>
    </Modal>
  ) : null;
  return [element, ask];
}
