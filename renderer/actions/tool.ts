// One action per canvas tool: its key switches to it.
import { TOOLS } from '../tools';
import { hasImage, type Action } from './types';

export const toolActions: Action[] = TOOLS.map((t) => ({
  name: `tool.${t.id}`,
  label: `${t.label} tool`,
  group: 'Tools',
  keys: [t.key],
  perform: (c) => c.setTool(t.id),
  predicate: hasImage,
}));
