// Contract group: Dataset export, segmentation import and measurements.
// Merged into app/contract.ts; each method is declared here once.
import { z } from 'zod';
import { method } from './define';

void z;
void method;

export const exportMethods = {};
