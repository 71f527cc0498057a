// Keys 1-9 give the selection the n-th class (created on demand); 0 clears its class.
import { hasSelection, type Action, type ActionContext } from './types';

async function assign(c: ActionContext, n: number): Promise<void> {
  const ids = [...c.selection.ids];
  if (ids.length === 0) return;
  const list = c.classes.length >= n ? c.classes : await c.ensureClasses(n);
  const cls = list?.[n - 1];
  if (cls) c.edit([{ kind: 'setClass', ids, classId: cls.id }], `Class ${n}`);
}

export const classActions: Action[] = Array.from({ length: 9 }, (_, k) => ({
  name: `class.${k + 1}`,
  label: `Assign class ${k + 1} to the selection`,
  group: 'Classes and review',
  keys: [String(k + 1)],
  predicate: hasSelection,
  perform: (c: ActionContext) => void assign(c, k + 1),
}));

export const clearClass: Action = {
  name: 'class.clear',
  label: 'Clear the class of the selection',
  group: 'Classes and review',
  keys: ['0'],
  predicate: hasSelection,
  perform: (c) => {
    const ids = [...c.selection.ids];
    if (ids.length) c.edit([{ kind: 'setClass', ids, classId: null }], 'Clear class');
  },
};
