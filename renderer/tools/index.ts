// The canvas tools, their names and keys. Tools are created once per workspace and kept, so a
// tool's options (polygon subtract mode) survive switching away and back.
import { BoundaryTool } from './boundary/boundary';
import { BrushTool } from './brush/brush';
import { MergeTool } from './merge/merge';
import { PolygonTool } from './polygon/polygon';
import { CarveTool, SamPromptTool, type PromptTool } from './sam/sam';
import { SelectTool } from './select/select';
import { SplitTool } from './split/split';
import { TrainTool } from './train/train';
import type { Tool, ToolId } from './types';

export interface ToolInfo {
  id: ToolId;
  label: string;
  /** Keyboard shortcut that switches to the tool. */
  key: string;
  /** Short label for the tool strip. */
  glyph: string;
}

export const TOOLS: ToolInfo[] = [
  { id: 'select', label: 'Select', key: 'Q', glyph: '⬚' },
  { id: 'brush', label: 'Brush', key: 'B', glyph: '●' },
  { id: 'eraser', label: 'Eraser', key: 'E', glyph: '○' },
  { id: 'polygon', label: 'Polygon / lasso', key: 'P', glyph: '⬠' },
  { id: 'split', label: 'Split by line', key: 'K', glyph: '✂' },
  { id: 'merge', label: 'Merge by line', key: 'J', glyph: '⋈' },
  { id: 'boundary', label: 'Grain boundary', key: 'G', glyph: '⌇' },
  { id: 'sam', label: 'SAM prompt', key: 'W', glyph: '✦' },
  { id: 'carve', label: 'Split with SAM', key: 'C', glyph: '✧' },
  { id: 'train', label: 'Train (paint class scribbles)', key: 'T', glyph: '✎' },
];

export type ToolSet = Record<ToolId, Tool> & { sam: PromptTool; carve: PromptTool; polygon: PolygonTool; train: TrainTool };

export function createTools(): ToolSet {
  return {
    select: new SelectTool(),
    brush: new BrushTool('paint'),
    eraser: new BrushTool('erase'),
    polygon: new PolygonTool(),
    split: new SplitTool(),
    merge: new MergeTool(),
    boundary: new BoundaryTool(),
    sam: new SamPromptTool(),
    carve: new CarveTool(),
    train: new TrainTool(),
  };
}

export function isPromptTool(t: Tool): t is PromptTool {
  return t.id === 'sam' || t.id === 'carve';
}

export type { Tool } from './types';
