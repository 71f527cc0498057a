// Whether the Learn section offers "SAM embeddings": only when the active SAM model is installed
// (its image embedding then feeds the classifier's extra feature maps).
import type { SamStatus } from '../../../app/contract/sam';

/** The installed active SAM model, or null (no option shown). */
export function samFeatureModel(status: Pick<SamStatus, 'active' | 'models'> | null): string | null {
  if (!status?.active) return null;
  return status.models.some((m) => m.id === status.active && m.installed) ? status.active : null;
}
