// Toolbar entry points for datasets and measurements: Export…, Import labels… and Measurements,
// with the dialogs and the side panel they open. App.tsx mounts this one component.
import { useState } from 'react';
import type { ImageRecord } from '../../../app/types';
import { ExportDialog } from './ExportDialog';
import { ImportLabelsDialog } from './ImportLabelsDialog';
import { MeasurementsPanel } from './MeasurementsPanel';
import './export.css';

export interface ExportToolsProps {
  images: ImageRecord[];
  selected: number | null;
  /** Images chosen in the image list: export and measurements can work on them. */
  chosen: number[];
  /** Called after something changed image records (pixel size), so the app can refresh its list. */
  onChanged(): void;
}

export function ExportTools({ images, selected, chosen, onChanged }: ExportToolsProps) {
  const [open, setOpen] = useState<'export' | 'import' | null>(null);
  const [measure, setMeasure] = useState(false);
  return (
    <>
      <button onClick={() => setOpen('export')} disabled={images.length === 0} title="Export a curated dataset: COCO, PNG masks, YOLO, or for fine-tuning SAM (micro-sam)" data-testid="export-open">
        Export…
      </button>
      <button onClick={() => setOpen('import')} disabled={images.length === 0} title="Import segmentations made elsewhere (COCO, label maps, boundary maps)" data-testid="import-labels-open">
        Import labels…
      </button>
      <button className={measure ? 'gl-toggle-on' : undefined} onClick={() => setMeasure((m) => !m)} disabled={images.length === 0} title="Grain statistics, ASTM grain size, phase fractions and plots" data-testid="measurements-open">
        Measurements
      </button>
      {open === 'export' && <ExportDialog imageCount={images.length} chosen={chosen} onClose={() => setOpen(null)} />}
      {open === 'import' && <ImportLabelsDialog onClose={() => setOpen(null)} />}
      {measure && <MeasurementsPanel images={images} selected={selected} chosen={chosen} onClose={() => setMeasure(false)} onChanged={onChanged} />}
    </>
  );
}
