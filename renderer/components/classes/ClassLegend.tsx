// The classes of the Edit tab as a legend: colour, name (a click gives the class to the selection),
// its 1-9 key, and how many segments of this image have it, by a person and predicted. Renaming,
// recolouring, merging and deleting live in the class manager, so a click never renames and a
// rename never touches the selection.
import type { ClassRecord, SegmentRecord } from '../../../app/types';

export interface ClassLegendProps {
  classes: ClassRecord[];
  segments: Iterable<SegmentRecord> | null;
  /** Some segments are selected (a click then gives them the class). */
  canAssign: boolean;
  onAssign(classId: number): void;
  onCreate(): void;
  onManage(): void;
}

export function ClassLegend({ classes, segments, canAssign, onAssign, onCreate, onManage }: ClassLegendProps) {
  const counts = new Map<number, { all: number; yours: number; predicted: number }>();
  for (const s of segments ?? []) {
    if (s.classId === null) continue;
    const c = counts.get(s.classId) ?? { all: 0, yours: 0, predicted: 0 };
    c.all++;
    if (s.classSource === 'person' || s.verified) c.yours++;
    else if (s.classSource === 'classifier') c.predicted++;
    counts.set(s.classId, c);
  }
  return (
    <>
      <ul className="class-list" data-testid="class-list">
        {classes.map((c, i) => {
          const n = counts.get(c.id);
          return (
            <li key={c.id} className="class-row">
              <span className="swatch" style={{ background: c.color }} />
              <button className="link class-name" disabled={!canAssign} onClick={() => onAssign(c.id)} title={canAssign ? `Give the selected segments this class${i < 9 ? ` (key ${i + 1})` : ''}` : 'Select segments to give them this class'} data-testid={`class-${c.id}`}>
                {c.name}
              </button>
              {n && (
                <span className="muted small-text" title={`${n.all} segments of this image: ${n.yours} given or confirmed by a person, ${n.predicted} predicted, ${n.all - n.yours - n.predicted} from a phase map or an import`}>
                  {n.all}
                  {n.predicted ? ` · ${n.predicted} predicted` : ''}
                </span>
              )}
              {i < 9 && <kbd>{i + 1}</kbd>}
            </li>
          );
        })}
      </ul>
      <div className="row">
        <button className="small" onClick={onCreate} data-testid="class-add">
          Add class
        </button>
        <button className="small" onClick={onManage} data-testid="class-manage" title="Rename, recolour, merge, delete; export or import the class list">
          Manage…
        </button>
      </div>
    </>
  );
}
