// The class manager: add, rename, recolour, set the label value, merge into another class, delete
// (segments lose the class, undoable per image), and the class list as a JSON file to reuse in
// other projects. It never touches the selection.
import { useRef, useState } from 'react';
import { ClassListFileSchema } from '../../../app/contract/classes';
import type { ClassRecord } from '../../../app/types';
import { getClient } from '../../client';
import { downloadText } from '../export/download';
import { Modal, errorText } from '../export/Modal';

function Row({ c, classes, busy, run }: { c: ClassRecord; classes: ClassRecord[]; busy: boolean; run(fn: () => Promise<unknown>, done?: string): void }) {
  const client = getClient();
  const [name, setName] = useState(c.name);
  const [value, setValue] = useState(c.value === null || c.value === undefined ? '' : String(c.value));
  const rename = () => {
    const n = name.trim();
    if (n && n !== c.name) run(() => client.call('classes.update', { id: c.id, name: n }));
    else setName(c.name);
  };
  const setVal = () => {
    const v = value.trim() === '' ? null : Number(value);
    if (v === (c.value ?? null)) return;
    if (v !== null && (!Number.isInteger(v) || v < 0 || v > 65535)) {
      setValue(c.value === null || c.value === undefined ? '' : String(c.value));
      return;
    }
    run(() => client.call('classes.update', { id: c.id, value: v }));
  };
  return (
    <tr data-testid={`manager-class-${c.id}`}>
      <td className="muted">{c.id}</td>
      <td>
        <input type="color" value={c.color} disabled={busy} onChange={(e) => run(() => client.call('classes.update', { id: c.id, color: e.target.value }))} title="Colour" />
      </td>
      <td>
        <input
          type="text"
          value={name}
          disabled={busy}
          onChange={(e) => setName(e.target.value)}
          onBlur={rename}
          onKeyDown={(e) => {
            if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
            if (e.key === 'Escape') setName(c.name);
          }}
          data-testid={`manager-name-${c.id}`}
        />
      </td>
      <td>
        <input className="gl-num" type="number" min={0} max={65535} value={value} placeholder="auto" disabled={busy} onChange={(e) => setValue(e.target.value)} onBlur={setVal} title="Value in semantic label maps (PNG export and import); empty: the export picks one" />
      </td>
      <td>
        <select
          value=""
          disabled={busy || classes.length < 2}
          onChange={(e) => {
            const into = classes.find((x) => x.id === Number(e.target.value));
            if (into) run(() => client.call('classes.merge', { from: c.id, into: into.id }), `Merged ${c.name} into ${into.name}.`);
          }}
          data-testid={`manager-merge-${c.id}`}
          title="Give every segment of this class the other class, then remove this one"
        >
          <option value="">Merge into…</option>
          {classes
            .filter((x) => x.id !== c.id)
            .map((x) => (
              <option key={x.id} value={x.id}>
                {x.name}
              </option>
            ))}
        </select>
      </td>
      <td>
        <button className="small" disabled={busy} onClick={() => run(() => client.call('classes.delete', { id: c.id }), `Deleted ${c.name}; Ctrl+Z on an image gives its segments the class back.`)} data-testid={`manager-delete-${c.id}`}>
          Delete
        </button>
      </td>
    </tr>
  );
}

export function ClassManager({ classes, onChanged, onClose }: { classes: ClassRecord[]; onChanged(): void; onClose(): void }) {
  const client = getClient();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const file = useRef<HTMLInputElement>(null);
  const run = (fn: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    fn()
      .then(() => done && setMessage(done))
      .catch((e: unknown) => setError(errorText(e)))
      .finally(() => {
        setBusy(false);
        onChanged();
      });
  };
  const importList = async (f: File) => {
    const parsed = ClassListFileSchema.safeParse(JSON.parse(await f.text()));
    if (!parsed.success) throw new Error(`${f.name} is not a GrainLab class list (export one here or with 'grainlab classes export').`);
    const r = await client.call('classes.import', { list: parsed.data });
    setMessage(`${r.created.length} class(es) added, ${r.updated.length} updated from ${f.name}.`);
  };
  return (
    <Modal title="Classes" onClose={onClose} testId="class-manager">
      <table className="class-manager">
        <thead>
          <tr>
            <th>id</th>
            <th />
            <th>name</th>
            <th title="Value in semantic label maps">value</th>
            <th />
            <th />
          </tr>
        </thead>
        <tbody>
          {classes.map((c) => (
            <Row key={`${c.id}:${c.name}:${c.value ?? ''}`} c={c} classes={classes} busy={busy} run={run} />
          ))}
        </tbody>
      </table>
      {message && <p className="small" data-testid="manager-message">{message}</p>}
      {error && <p className="gl-error" data-testid="manager-error">{error}</p>}
      <div className="gl-actions">
        <button disabled={busy} onClick={() => run(() => client.call('classes.create', {}))} data-testid="manager-add">
          Add class
        </button>
        <button disabled={busy} onClick={() => run(async () => downloadText(`${JSON.stringify(await client.call('classes.export', {}), null, 2)}\n`, 'classes.grainlab.json', 'application/json'))}>
          Export list…
        </button>
        <button disabled={busy} onClick={() => file.current?.click()}>
          Import list…
        </button>
        <input
          ref={file}
          type="file"
          accept=".json,application/json"
          hidden
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) run(() => importList(f));
          }}
        />
        <button className="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Modal>
  );
}
