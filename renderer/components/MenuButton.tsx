// A small drop-down menu for the toolbar (e.g. the arrow beside Segment), so related but rarer
// commands do not each take toolbar width. Closes on a choice, Escape or a click elsewhere.
import { useEffect, useRef, useState, type ReactNode } from 'react';

export interface MenuItem {
  label: string;
  title?: string;
  disabled?: boolean;
  testId?: string;
  run(): void;
}

export function MenuButton({ label, title, items, disabled, testId }: { label: ReactNode; title: string; items: MenuItem[]; disabled?: boolean; testId?: string }) {
  // Where the popup opens (fixed, under the button): the toolbar scrolls, so it cannot hold it.
  const [open, setOpen] = useState<{ left: number; top: number } | null>(null);
  const root = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!open) return;
    const away = (e: PointerEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(null);
    };
    const key = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        setOpen(null);
      }
    };
    window.addEventListener('pointerdown', away);
    window.addEventListener('keydown', key, true);
    return () => {
      window.removeEventListener('pointerdown', away);
      window.removeEventListener('keydown', key, true);
    };
  }, [open]);
  return (
    <span className="menu-button" ref={root}>
      <button
        disabled={disabled}
        onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          setOpen((o) => (o ? null : { left: Math.max(4, Math.min(r.left, window.innerWidth - 240)), top: r.bottom + 2 }));
        }}
        title={title}
        aria-haspopup="menu"
        aria-expanded={open !== null}
        data-testid={testId}
      >
        {label}
      </button>
      {open && (
        <span className="menu-popup" role="menu" style={open}>
          {items.map((it) => (
            <button
              key={it.label}
              role="menuitem"
              disabled={it.disabled}
              title={it.title}
              data-testid={it.testId}
              onClick={() => {
                setOpen(null);
                it.run();
              }}
            >
              {it.label}
            </button>
          ))}
        </span>
      )}
    </span>
  );
}
