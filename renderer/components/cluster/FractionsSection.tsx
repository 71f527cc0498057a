// Phase-fraction guidance in the Clusters tab: an expected area % per class; Apply re-assigns the
// classes of segments nobody labelled to match them (one undoable step) and shows what it achieved.
import { useEffect, useState } from 'react';
import type { FractionReport } from '../../../app/contract/cluster';
import type { EditAck } from '../../../app/contract/edit';
import type { ClassRecord } from '../../../app/types';
import { getClient } from '../../client';
import type { EditorDocument } from '../../editor/document';
import { pct } from './thumbnail';

interface Props {
  imageId: number;
  doc: EditorDocument | null;
  classes: ClassRecord[];
  applyEdit(call: (expectRevision: string) => Promise<EditAck | null>): Promise<EditAck | null>;
  onError(e: unknown): void;
}

export function FractionsSection(p: Props) {
  const client = getClient();
  const [targets, setTargets] = useState<Record<number, string>>({});
  const [report, setReport] = useState<FractionReport | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => setReport(null), [p.imageId]);

  const entered = p.classes.map((c) => ({ classId: c.id, text: (targets[c.id] ?? '').trim() })).filter((t) => t.text !== '' && Number.isFinite(Number(t.text)));
  const sum = entered.reduce((a, t) => a + Number(t.text), 0);

  const apply = async () => {
    if (entered.length < 2) {
      p.onError(new Error('Enter an expected area % for at least two classes.'));
      return;
    }
    setBusy(true);
    try {
      const list = entered.map((t) => ({ classId: t.classId, fraction: Math.max(0, Math.min(1, Number(t.text) / 100)) }));
      await p.applyEdit(async (rev) => {
        const r = await client.call('cluster.fractions', { imageId: p.imageId, targets: list, apply: true, expectRevision: rev });
        setReport(r);
        return r.ack;
      });
    } catch (e) {
      p.onError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="fractions" data-testid="fractions">
      <h3>Phase fractions</h3>
      {p.classes.length < 2 ? (
        <p className="muted small-text">Needs at least two classes (Edit tab, or keys 1-9).</p>
      ) : (
        <>
          <table className="fraction-table">
            <thead>
              <tr>
                <th>class</th>
                <th>target</th>
                <th>achieved</th>
              </tr>
            </thead>
            <tbody>
              {p.classes.map((c) => {
                const got = report?.classes.find((x) => x.classId === c.id);
                return (
                  <tr key={c.id}>
                    <td>
                      <span className="swatch" style={{ background: c.color }} /> {c.name}
                    </td>
                    <td>
                      <input type="number" min={0} max={100} step={1} placeholder="%" value={targets[c.id] ?? ''} onChange={(e) => setTargets((t) => ({ ...t, [c.id]: e.target.value }))} data-testid={`fraction-${c.id}`} />
                    </td>
                    <td className="num" data-testid={`fraction-achieved-${c.id}`}>
                      {got ? pct(got.achieved) : '—'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div className="row">
            <button className="small" disabled={!p.doc || busy || entered.length < 2} onClick={() => void apply()} data-testid="fractions-apply" title="Adjust the classes of segments nobody labelled so the class area fractions come as close to the targets as the features allow (one undoable step)">
              Apply
            </button>
            {entered.length > 0 && Math.abs(sum - 100) > 0.5 && <span className="warn-text small-text">targets sum to {sum.toFixed(0)} %</span>}
          </div>
        </>
      )}
    </section>
  );
}
