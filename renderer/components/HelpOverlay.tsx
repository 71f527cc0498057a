// The "?" overlay: every keyboard shortcut, generated from the actions registry, plus what the
// mouse does in each tool.
import { actionsByGroup, keysOf } from '../actions/registry';
import { useKeymap } from '../workspace/shortcuts';

const MOUSE: [string, string][] = [
  ['Wheel', 'Zoom about the cursor'],
  ['Middle drag, Space+drag', 'Pan'],
  ['Right-click', 'Context menu (in SAM tools: a negative point)'],
  ['Select', 'Click · Shift-click adds/removes · drag a box'],
  ['Cluster select (Shift+C)', 'Click a segment: every segment of its cluster is selected; Shift-click adds or removes the cluster'],
  ['Brush / Eraser', 'Drag to paint/erase; paints into the selected segment or a new one; Alt protects other segments'],
  ['Polygon', 'Click vertices, close on the first or double-click / Enter; drag for a lasso; Alt subtracts'],
  ['Split by line', 'Draw across a segment; Shift for a straight cut'],
  ['Merge by line', 'Draw across the segments to join'],
  ['Grain boundary', 'Click a boundary to merge two grains; drag from a grain into its neighbour to move the boundary'],
  ['SAM prompt', 'Click positive, right-click negative, drag a box; Enter accepts, Esc discards'],
  ['Split with SAM', 'Click inside a segment, add points; Enter carves the part out'],
];

export function HelpOverlay({ onClose, onEdit }: { onClose(): void; onEdit?(): void }) {
  useKeymap();
  return (
    <div className="help-backdrop" onClick={onClose} data-testid="help">
      <div className="help" onClick={(e) => e.stopPropagation()} role="dialog" aria-label="Keyboard shortcuts">
        <div className="help-head">
          <h2>Shortcuts</h2>
          <span>
            {onEdit && (
              <button className="small" onClick={onEdit} data-testid="shortcuts-edit" title="Change the keys (saved for you, not in the project)">
                Edit shortcuts…
              </button>
            )}{' '}
            <button className="small" onClick={onClose}>
              Close
            </button>
          </span>
        </div>
        <div className="help-columns">
          {actionsByGroup().map(([group, list]) => (
            <section key={group}>
              <h3>{group}</h3>
              <table>
                <tbody>
                  {list.map((a) => (
                    <tr key={a.name}>
                      <td className="keys">
                        {keysOf(a).map((k) => (
                          <kbd key={k}>{k}</kbd>
                        ))}
                      </td>
                      <td>{a.label}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ))}
          <section>
            <h3>Mouse</h3>
            <table>
              <tbody>
                {MOUSE.map(([k, v]) => (
                  <tr key={k}>
                    <td className="keys">{k}</td>
                    <td>{v}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </div>
      </div>
    </div>
  );
}
