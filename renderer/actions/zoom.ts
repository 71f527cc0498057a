// Fit, 1:1, zoom in and out.
import { hasImage, type Action } from './types';

export const fit: Action = { name: 'view.fit', label: 'Fit image to window', group: 'View', keys: ['F', 'Ctrl+0'], predicate: hasImage, perform: (c) => c.view.fit() };

export const actualSize: Action = { name: 'view.actual', label: 'Actual pixels (1:1)', group: 'View', keys: ['Ctrl+1'], predicate: hasImage, perform: (c) => c.view.actualSize() };

export const zoomIn: Action = { name: 'view.zoomIn', label: 'Zoom in', group: 'View', keys: ['+', '='], predicate: hasImage, perform: (c) => c.view.zoomBy(1.25) };

export const zoomOut: Action = { name: 'view.zoomOut', label: 'Zoom out', group: 'View', keys: ['-'], predicate: hasImage, perform: (c) => c.view.zoomBy(0.8) };
