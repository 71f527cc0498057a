// The vertical tool strip beside the canvas: one button per tool (its tool action from the
// registry, with its key), the registry's toolbar actions, the polygon add/subtract switch and
// the brush size.
import { TOOLS } from '../tools';
import type { ToolId } from '../tools/types';
import { ACTIONS, actionByName, isEnabled, keysOf, runAction, type ActionContext } from '../actions/registry';
import { useKeymap } from '../workspace/shortcuts';

const toolKey = (id: string) => keysOf(actionByName(`tool.${id}`)!)[0] ?? '';

interface Props {
  tool: ToolId;
  polygonSubtract: boolean;
  onPolygonSubtract(v: boolean): void;
  brushRadius: number;
  onBrushRadius(r: number): void;
  disabled: boolean;
  /** Toolbar actions (undo, redo, merge, delete...) are drawn under the tools. */
  actions: ActionContext;
}

export function ToolStrip({ tool, polygonSubtract, onPolygonSubtract, brushRadius, onBrushRadius, disabled, actions }: Props) {
  useKeymap();
  return (
    <div className="tool-strip" data-testid="tool-strip">
      {TOOLS.map((t) => (
        <button key={t.id} className={`tool-button${tool === t.id ? ' active' : ''}`} disabled={disabled} onClick={() => runAction(actionByName(`tool.${t.id}`)!, actions)} title={`${t.label} (${toolKey(t.id)})`} data-testid={`tool-${t.id}`} aria-pressed={tool === t.id}>
          <span className="glyph">{t.glyph}</span>
          <span className="key">{toolKey(t.id)}</span>
        </button>
      ))}
      <span className="strip-sep" />
      {ACTIONS.filter((a) => a.toolbar).map((a) => (
        <button key={a.name} className="tool-button action" disabled={!isEnabled(a, actions)} onClick={() => runAction(a, actions)} title={`${a.label} (${keysOf(a).join(', ')})`} data-testid={`action-${a.name}`}>
          <span className="glyph">{a.glyph ?? a.short ?? a.label}</span>
          <span className="key">{(keysOf(a)[0] ?? '').replace('Ctrl+', '^').replace('Shift+', '⇧').replace('Delete', 'Del')}</span>
        </button>
      ))}
      <span className="strip-sep" />
      {tool === 'polygon' && (
        <button className={`tool-button small${polygonSubtract ? ' active' : ''}`} onClick={() => onPolygonSubtract(!polygonSubtract)} title="Polygon adds or subtracts (Shift+P)" data-testid="polygon-mode">
          {polygonSubtract ? '−' : '+'}
        </button>
      )}
      {(tool === 'brush' || tool === 'eraser' || tool === 'boundary') && (
        <label className="brush-size" title="Brush radius in image pixels ([ and ])">
          <span>{brushRadius < 10 ? brushRadius.toFixed(1) : Math.round(brushRadius)}</span>
          <input type="range" min={0.5} max={200} step={0.5} value={brushRadius} onChange={(e) => onBrushRadius(Number(e.target.value))} data-testid="brush-size" />
        </label>
      )}
    </div>
  );
}
