// The project's classes in SQLite: stable ids (never reused: a deleted class keeps its row, marked
// deleted, so an undone edit can bring it back), unique names among live classes, default colours,
// label values for semantic maps, and the class list as a JSON file.
import { ServiceError } from '../../app/errors';
import type { ClassListFile, ClassListImport } from '../../app/contract/classes';
import type { ClassRecord } from '../../app/types';
import type { ProjectStore } from './project-store';

/** Default class colours for the 1-9 keys (distinct under common colour-vision deficiencies). */
const DEFAULT_CLASS_COLOURS = ['#e69f00', '#56b4e9', '#009e73', '#f0e442', '#0072b2', '#d55e00', '#cc79a7', '#999999', '#ffffff'];

interface ClassRow {
  id: number;
  name: string;
  color: string;
  value: number | null;
  deleted: number;
}

const toRecord = (r: ClassRow): ClassRecord => ({ id: r.id, name: r.name, color: r.color, value: r.value });

function normalColour(c: string | null | undefined): string | null {
  const m = /^#?([0-9a-f]{6})$/i.exec(c ?? '');
  return m ? `#${m[1]!.toLowerCase()}` : null;
}

/** Live classes in id order (the 1-9 keys follow this order). */
export function listClasses(store: ProjectStore): ClassRecord[] {
  return (store.db.prepare('SELECT id, name, color, value, deleted FROM classes WHERE deleted = 0 ORDER BY id').all() as ClassRow[]).map(toRecord);
}

function rowById(store: ProjectStore, id: number): ClassRow | undefined {
  return store.db.prepare('SELECT id, name, color, value, deleted FROM classes WHERE id = ?').get(id) as ClassRow | undefined;
}

function rowByName(store: ProjectStore, name: string): ClassRow | undefined {
  return store.db.prepare('SELECT id, name, color, value, deleted FROM classes WHERE name = ?').get(name) as ClassRow | undefined;
}

export function getClass(store: ProjectStore, id: number): ClassRecord {
  const r = rowById(store, id);
  if (!r || r.deleted) throw new ServiceError('not-found', `Class ${id} does not exist in this project. Run 'grainlab classes list' (or open the class manager) to see the classes.`);
  return toRecord(r);
}

function liveCount(store: ProjectStore): number {
  return (store.db.prepare('SELECT count(*) AS n FROM classes WHERE deleted = 0').get() as { n: number }).n;
}

/** A deleted class whose name is wanted again steps aside (its row stays for undo). */
function freeName(store: ProjectStore, name: string): void {
  const r = rowByName(store, name);
  if (!r) return;
  if (!r.deleted) throw new ServiceError('invalid-argument', `A class named "${name}" already exists. Pick another name.`);
  store.db.prepare('UPDATE classes SET name = ? WHERE id = ?').run(`${name} (deleted #${r.id})`, r.id);
}

function insert(store: ProjectStore, name: string, color: string, value: number | null, id?: number): ClassRecord {
  const info = id !== undefined
    ? store.db.prepare('INSERT INTO classes (id, name, color, value) VALUES (?, ?, ?, ?)').run(id, name, color, value)
    : store.db.prepare('INSERT INTO classes (name, color, value) VALUES (?, ?, ?)').run(name, color, value);
  return { id: Number(info.lastInsertRowid), name, color, value };
}

/** "Class n" with the smallest n above the number of classes that is not taken. */
function nextDefaultName(store: ProjectStore): string {
  for (let k = liveCount(store) + 1; ; k++) {
    const r = rowByName(store, `Class ${k}`);
    if (!r || r.deleted) return `Class ${k}`;
  }
}

export function createClass(store: ProjectStore, name?: string, color?: string, value?: number | null): ClassRecord {
  return store.db.transaction(() => {
    const n = name?.trim() || nextDefaultName(store);
    freeName(store, n);
    const colour = normalColour(color) ?? DEFAULT_CLASS_COLOURS[liveCount(store) % DEFAULT_CLASS_COLOURS.length]!;
    return insert(store, n, colour, value ?? null);
  })();
}

export function updateClass(store: ProjectStore, id: number, change: { name?: string; color?: string; value?: number | null }): ClassRecord {
  return store.db.transaction(() => {
    const cur = getClass(store, id);
    const name = change.name?.trim();
    if (name !== undefined && name !== cur.name) freeName(store, name);
    const next: ClassRecord = { id, name: name || cur.name, color: normalColour(change.color) ?? cur.color, value: change.value !== undefined ? change.value : (cur.value ?? null) };
    store.db.prepare('UPDATE classes SET name = ?, color = ?, value = ? WHERE id = ?').run(next.name, next.color, next.value, id);
    return next;
  })();
}

/** At least `count` live classes (the 1-9 keys create them on demand). */
export function ensureClasses(store: ProjectStore, count: number): ClassRecord[] {
  store.db.transaction(() => {
    while (liveCount(store) < count) createClass(store);
  })();
  return listClasses(store);
}

/** The live class with this name, made (with `color` or a default colour, and `value`) when missing. */
export function ensureClassNamed(store: ProjectStore, name: string, color?: string | null, value?: number | null): { record: ClassRecord; created: boolean } {
  const found = rowByName(store, name);
  if (found && !found.deleted) {
    if (value !== undefined && value !== null && found.value === null) {
      store.db.prepare('UPDATE classes SET value = ? WHERE id = ?').run(value, found.id);
      found.value = value;
    }
    return { record: toRecord(found), created: false };
  }
  return { record: createClass(store, name, color ?? undefined, value ?? null), created: true };
}

/** The live class holding this label value, if any. */
export function classByValue(store: ProjectStore, value: number): ClassRecord | null {
  const r = store.db.prepare('SELECT id, name, color, value, deleted FROM classes WHERE value = ? AND deleted = 0 ORDER BY id LIMIT 1').get(value) as ClassRow | undefined;
  return r ? toRecord(r) : null;
}

/** Marks a class deleted (its segments must already be without it). */
export function markDeleted(store: ProjectStore, id: number, deleted: boolean): void {
  store.db.prepare('UPDATE classes SET deleted = ? WHERE id = ?').run(deleted ? 1 : 0, id);
}

/** Brings back deleted classes that an undone or redone edit gives to segments again. */
export function reviveClasses(store: ProjectStore, ids: Iterable<number>): void {
  for (const id of ids) {
    const r = rowById(store, id);
    if (!r || !r.deleted) continue;
    const original = r.name.replace(/ \(deleted #\d+\)$/, '');
    const taken = rowByName(store, original);
    store.db.prepare('UPDATE classes SET deleted = 0, name = ? WHERE id = ?').run(taken && taken.id !== id ? r.name : original, id);
  }
}

export function exportClassList(store: ProjectStore): ClassListFile {
  return { format: 'grainlab-classes', version: 1, classes: listClasses(store).map((c) => ({ id: c.id, name: c.name, color: c.color, value: c.value ?? null })) };
}

/** Adds the file's classes: a name already here takes the file's colour and value; a new one keeps the file's id when it is free. */
export function importClassList(store: ProjectStore, list: ClassListFile): ClassListImport {
  const out: ClassListImport = { created: [], updated: [] };
  store.db.transaction(() => {
    for (const c of list.classes) {
      const found = rowByName(store, c.name);
      if (found && !found.deleted) {
        out.updated.push(updateClass(store, found.id, { color: c.color, ...(c.value !== undefined ? { value: c.value } : {}) }));
        continue;
      }
      freeName(store, c.name);
      const free = c.id !== undefined && rowById(store, c.id) === undefined;
      out.created.push(insert(store, c.name, normalColour(c.color)!, c.value ?? null, free ? c.id : undefined));
    }
  })();
  return out;
}
