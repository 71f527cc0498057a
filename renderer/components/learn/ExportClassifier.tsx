// "Export classifier…" in the Learn section: writes the trained classifier to a file for batch use
// (grainlab predict --classifier FILE, or any ONNX runtime for .onnx). The path is proposed in the
// project folder and can be edited; the extension picks the format (.onnx, .json, .glclf).
import { useState } from 'react';
import type { Learn } from '../../workspace/learn';

export function ExportClassifier({ learn }: { learn: Pick<Learn, 'exportPath' | 'exportClassifier'> }) {
  const [path, setPath] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (path === null) {
    return (
      <button className="small" onClick={() => void learn.exportPath().then(setPath)} data-testid="learn-export" title="Write the classifier to a file for batch use (grainlab predict --classifier, or any ONNX runtime)">
        Export classifier…
      </button>
    );
  }
  const save = async () => {
    setBusy(true);
    const ok = await learn.exportClassifier(path);
    setBusy(false);
    if (ok) setPath(null);
  };
  return (
    <span className="row">
      <input type="text" value={path} disabled={busy} onChange={(e) => setPath(e.target.value)} spellCheck={false} data-testid="learn-export-path" title=".onnx (ONNX TreeEnsembleClassifier models), .json or .glclf (GrainLab)" />
      <button className="small" disabled={busy || !path.trim()} onClick={() => void save()} data-testid="learn-export-save">
        Save
      </button>
      <button className="small" disabled={busy} onClick={() => setPath(null)}>
        Cancel
      </button>
    </span>
  );
}
