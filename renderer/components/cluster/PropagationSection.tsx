// Class propagation in the Clusters tab: the classifier's status (version, model, training rows per
// class, stratified cross-validation with balanced accuracy and per-class recall, warnings,
// background retraining), "Train & predict" on this image and "Apply to chosen images" as a job.
import { useEffect, useState } from 'react';
import type { ClassifierInfo } from '../../../app/contract/cluster';
import type { EditAck } from '../../../app/contract/edit';
import { getClient } from '../../client';
import type { EditorDocument } from '../../editor/document';
import type { ClassRecord } from '../../../app/types';
import { pct } from './thumbnail';
import { useTrackedJob } from './useTrackedJob';

/** Below this confidence a predicted class is flagged (and visited first with N). */
const LOW_CONFIDENCE = 0.6;

interface Props {
  imageId: number;
  doc: EditorDocument | null;
  /** The images chosen in the image list (project-wide actions work on them). */
  chosenImageIds: number[];
  classes: ClassRecord[];
  /** Says what applying to these images will change, and asks; true to go on. */
  askClassifying(imageIds: number[]): Promise<boolean>;
  applyEdit(call: (expectRevision: string) => Promise<EditAck | null>): Promise<EditAck | null>;
  onChanged(): void;
  onError(e: unknown): void;
}

function modelName(m: ClassifierInfo['model']): string {
  return m === 'logreg' ? 'logistic regression' : 'nearest centroid';
}

export function PropagationSection(p: Props) {
  const client = getClient();
  const { onError } = p;
  const job = useTrackedJob(onError);
  const [info, setInfo] = useState<ClassifierInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void client
      .call('classify.status', {})
      .then((i) => live && setInfo(i))
      .catch(() => {});
    const off = client.on('onDidChangeClassifier', setInfo);
    return () => {
      live = false;
      off();
    };
  }, [client]);

  useEffect(() => setResult(null), [p.imageId]);

  const trainAndPredict = async () => {
    setBusy(true);
    setResult(null);
    try {
      setInfo(await client.call('classify.train', {}));
      let predicted = 0;
      let low = 0;
      const ack = await p.applyEdit(async (rev) => {
        const r = await client.call('classify.predict', { imageId: p.imageId, apply: true, expectRevision: rev });
        predicted = r.predictions.segmentIds.length;
        low = r.predictions.confidence.filter((c) => c < LOW_CONFIDENCE).length;
        return r.ack;
      });
      setResult(
        predicted === 0
          ? 'No segment left to predict: every segment is verified or has a class you gave it.'
          : `Predicted ${predicted} segment${predicted === 1 ? '' : 's'}${ack?.status === 'applied' ? '' : ' (no class changed)'}; ${low} below ${pct(LOW_CONFIDENCE, 0)} confidence — N visits them first.`,
      );
      p.onChanged();
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };

  const chosen = p.chosenImageIds;
  const applyToChosen = async () => {
    try {
      if (!(await p.askClassifying(chosen))) return;
    } catch (e) {
      onError(e);
      return;
    }
    await job.start(
      () => client.call('classify.applyToImages', { imageIds: chosen }),
      () => {
        setResult(`Classes predicted on ${chosen.length} chosen image${chosen.length === 1 ? '' : 's'}.`);
        p.onChanged();
      },
    );
  };
  const nameOf = (id: number) => p.classes.find((c) => c.id === id)?.name ?? `class ${id}`;

  const disabled = busy || job.running;
  return (
    <section className="propagation" data-testid="propagation">
      <h3>Propagate classes</h3>
      <p className="small-text" data-testid="classifier-status">
        {info ? (
          <>
            <span title={`Trained ${new Date(info.trainedAt).toLocaleString()} on ${info.groups.join(', ')} features`}>
              Classifier v{info.version} · {modelName(info.model)}
            </span>
            <br />
            <span className="muted">
              trained on {info.trainedOn.segments} segment{info.trainedOn.segments === 1 ? '' : 's'} in {info.trainedOn.images} image{info.trainedOn.images === 1 ? '' : 's'}
              {info.cv ? ` · ${info.cv.folds}-fold stratified CV: balanced accuracy ${pct(info.cv.balancedAccuracy, 0)} (accuracy ${pct(info.cvAccuracy ?? 0, 0)})` : ' · too few examples per class for cross-validation'}
            </span>
            {info.training ? (
              <span className="retraining" data-testid="classifier-training">
                {' '}
                · retraining…
              </span>
            ) : info.stale ? (
              <span className="warn-text"> · out of date</span>
            ) : null}
          </>
        ) : (
          <span className="muted">Give a class to a few segments of each kind (keys 1-9 or a whole cluster), then train.</span>
        )}
      </p>
      {info && (
        <table className="classifier-report small-text" data-testid="classifier-report">
          <thead>
            <tr>
              <th>class</th>
              <th title="Training examples: segments with your class, an imported class or verified">examples</th>
              <th title="Held-out examples of the class predicted as the class (stratified cross-validation)">recall</th>
            </tr>
          </thead>
          <tbody>
            {info.trainedOn.perClass.map((c) => {
              const r = info.cv?.recall.find((x) => x.classId === c.classId)?.recall;
              return (
                <tr key={c.classId}>
                  <td>{nameOf(c.classId)}</td>
                  <td>{c.count}</td>
                  <td className={r !== undefined && r < 0.6 ? 'warn-text' : undefined}>{r === undefined ? '–' : pct(r, 0)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {info?.warnings?.map((w) => (
        <p key={w} className="warn-text small-text" data-testid="classifier-warning">
          {w}
        </p>
      ))}
      <div className="row">
        <button className="small primary" disabled={!p.doc || disabled} onClick={() => void trainAndPredict()} data-testid="train-predict" title="Train on the classes you gave (and verified segments) in the project, then label the other segments of this image (one undoable step)">
          Train &amp; predict
        </button>
        <button
          className="small"
          disabled={!info || disabled || chosen.length === 0}
          onClick={() => void applyToChosen()}
          data-testid="apply-chosen-images"
          title={chosen.length === 0 ? 'Choose images in the list (Ctrl-click, Shift-click)' : 'Predict classes on the chosen images (your classes, imported ones and verified segments are kept); says what will change first'}
        >
          Apply to chosen images ({chosen.length})
        </button>
        {job.running && (
          <button className="small" onClick={job.cancel} title="Cancel">
            {job.event && job.event.total > 0 ? `${Math.round((100 * job.event.done) / job.event.total)} % · ` : ''}Cancel
          </button>
        )}
      </div>
      {result && (
        <p className="muted small-text" data-testid="predict-result">
          {result}
        </p>
      )}
    </section>
  );
}
