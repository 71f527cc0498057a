// Contract group: the project's classes. Ids are stable (never reused, kept by rename, recolour and
// merge); a deleted class keeps its id so undoing an edit that used it brings it back.
// Merged into app/contract/index.ts; each method is declared here once.
import { z } from 'zod';
import { method, none, id } from './define';
import type { ClassRecord } from '../types';

const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #4c9aff');
const name = z.string().trim().min(1).max(100);
/** Value of a class in semantic label maps (8-bit PNG exports hold 0..254; 255 is "unclassified"). */
const labelValue = z.number().int().min(0).max(65535);

/** The class list as a file, to reuse classes across projects (`grainlab classes export`, the class manager). */
export const ClassListFileSchema = z.object({
  format: z.literal('grainlab-classes'),
  version: z.literal(1),
  classes: z
    .array(z.object({ id: z.number().int().positive().optional(), name, color: colour, value: labelValue.nullable().optional() }))
    .max(10_000),
});
export type ClassListFile = z.infer<typeof ClassListFileSchema>;

export interface ClassListImport {
  /** Classes made from the file (with the file's id when that id was free). */
  created: ClassRecord[];
  /** Classes already in the project under the file's name; colour and value taken from the file. */
  updated: ClassRecord[];
}

/** What a merge or delete changed: segment classes in how many images (one undoable step per image). */
export interface ClassChangeSummary {
  segments: number;
  images: number;
}

export const classMethods = {
  'classes.list': method<ClassRecord[]>()(none),
  /** A new class; without a name it is called "Class n" with the first n not taken. */
  'classes.create': method<ClassRecord>()(z.object({ name: name.optional(), color: colour.optional(), value: labelValue.nullable().optional() })),
  /** Renames, recolours or changes the label value of a class; never touches segments or the selection. */
  'classes.update': method<ClassRecord>()(z.object({ id, name: name.optional(), color: colour.optional(), value: labelValue.nullable().optional() })),
  /** Makes sure at least `count` classes exist, adding "Class n" with default colours (for the 1-9 keys). */
  'classes.ensure': method<ClassRecord[]>()(z.object({ count: z.number().int().min(1).max(9) })),
  /** Every segment of class `from` gets class `into` (its class source kept), then `from` is deleted. One undoable step per image. */
  'classes.merge': method<ClassChangeSummary>()(z.object({ from: id, into: id })),
  /** Segments of the class lose it (one undoable step per image) and the class leaves the list; undoing brings both back. */
  'classes.delete': method<ClassChangeSummary>()(z.object({ id })),
  'classes.export': method<ClassListFile>()(none),
  /** Adds the file's classes (matched by name; new ones keep the file's id when it is free). */
  'classes.import': method<ClassListImport>()(z.object({ list: ClassListFileSchema })),
};
