// The "?" overlay of every shortcut (generated from this registry).
import type { Action } from './types';

export const help: Action = {
  name: 'view.help',
  label: 'Show this list of shortcuts',
  short: 'Shortcuts',
  glyph: '?',
  group: 'View',
  keys: ['?'],
  toolbar: true,
  perform: (c) => c.toggle('help'),
};
