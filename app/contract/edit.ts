// Contract group: Editing label maps: apply edit operations, undo/redo, segment classes and review state.
// Merged into app/contract.ts; each method is declared here once.
import { z } from 'zod';
import { method } from './define';

void z;
void method;

export const editMethods = {};
