// Contract group: Segment features, clustering, classification and propagation.
// Merged into app/contract.ts; each method is declared here once.
import { z } from 'zod';
import { method } from './define';

void z;
void method;

export const clusterMethods = {};
