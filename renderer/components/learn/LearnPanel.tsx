// The Learn section of the side panel (issue 12): training labels per class and source, the
// classifier's status, Train (a job: progress and cancel in the jobs panel), the Live prediction
// of the visible rectangle with its classes / uncertainty view, Next uncertain, and Apply to….
import { useState } from 'react';
import type { ClassRecord } from '../../../app/types';
import { predictedFractions } from '../../tools/train/layer';
import type { ApplyScope, Learn } from '../../workspace/learn';
import { ExportClassifier } from './ExportClassifier';
import { FeatureSetButton } from './FeatureSetDialog';
import { describeFeatureSet } from '../../../app/learn/feature-set';
import type { FeatureKind } from '../../../app/learn/features';

interface Props {
  learn: Learn;
  classes: readonly ClassRecord[];
  hasImage: boolean;
  chosenCount: number;
  imageCount: number;
  trainActive: boolean;
  /** The segment overlay is shown under the prediction (the image is segmented): it drowns the prediction's colours. */
  overSegments?: boolean;
  onTrainTool(): void;
}

/** Apply's "Sure only": the segment confidence kept (as grainlab predict --min-confidence 0.9). */
const SURE_CONFIDENCE = 0.9;

export function LearnPanel({ learn, classes, hasImage, chosenCount, imageCount, trainActive, overSegments = false, onTrainTool }: Props) {
  const [scope, setScope] = useState<ApplyScope>('image');
  const [sureOnly, setSureOnly] = useState(false);
  const { labels, status, prediction } = learn;
  const fractions = prediction ? predictedFractions(prediction) : null;
  const nameOf = (id: number) => classes.find((c) => c.id === id)?.name ?? `class ${id}`;
  const colourOf = (id: number) => classes.find((c) => c.id === id)?.color ?? '#888';
  const count = scope === 'image' ? (hasImage ? 1 : 0) : scope === 'chosen' ? chosenCount : imageCount;
  // Until someone teaches GrainLab, the section is one line.
  if (!trainActive && !status && !(labels && labels.total > 0)) {
    return (
      <section data-testid="learn-panel">
        <h3>Learn</h3>
        <p className="hint-text">
          <button className="small" onClick={onTrainTool} disabled={!hasImage} data-testid="learn-train-tool">
            Train tool (T)
          </button>{' '}
          paints class scribbles for a classifier.
        </p>
      </section>
    );
  }
  return (
    <section data-testid="learn-panel">
      <h3>Learn</h3>
      {!trainActive && (
        <p className="hint-text">
          <button className="small" onClick={onTrainTool} disabled={!hasImage} data-testid="learn-train-tool">
            Train tool (T)
          </button>{' '}
          paints class scribbles.
        </p>
      )}
      {labels && labels.byClass.length > 0 ? (
        <table className="learn-labels small-text" data-testid="learn-labels">
          <thead>
            <tr>
              <th>class</th>
              <th title="Pixels painted with the Train tool">scribble</th>
              <th title="Pixels of corrected or verified segments with a class">segment</th>
              <th title="Pixels of segments whose cluster got a class">cluster</th>
            </tr>
          </thead>
          <tbody>
            {labels.byClass.map((c) => (
              <tr key={c.classId} data-testid={`learn-labels-${c.classId}`}>
                <td>
                  <span className="swatch" style={{ background: colourOf(c.classId) }} /> {c.name}
                </td>
                <td>{c.scribble.toLocaleString()}</td>
                <td>{c.segment.toLocaleString()}</td>
                <td>{c.cluster.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted small-text">No training labels yet: paint at least two classes with the Train tool.</p>
      )}
      <p className="small-text" data-testid="learn-status">
        {status ? `Classifier v${status.version}: ${status.classes.map((c) => c.name).join(', ')} · trained ${new Date(status.trainedAt).toLocaleTimeString()} in ${status.trainingSeconds.toFixed(1)} s${status.sam ? ` · SAM embeddings of ${status.sam.model}` : ''}${status.selfTrain ? ` · self-trained with ${status.selfTrain.pseudoLabelled.toLocaleString()} pseudo-labelled px` : ''}` : <span className="muted">Not trained yet.</span>}
      </p>
      {status && (
        <p className="small-text muted" data-testid="learn-status-features" data-sigmas={status.features.sigmas.join(',')} data-kinds={status.features.kinds.join(',')}>
          Features: {describeFeatureSet({ sigmas: status.features.sigmas, kinds: status.features.kinds as FeatureKind[] })}
        </p>
      )}
      <div className="row">
        <button className="small" disabled={learn.training || !labels || labels.byClass.filter((c) => c.scribble + c.segment + c.cluster > 0).length < 2} onClick={() => void learn.train()} data-testid="learn-train" title="Train the pixel classifier from every label of the project (progress and cancel below the canvas)">
          {learn.training ? 'Training…' : 'Train'}
        </button>
        <FeatureSetButton features={learn.features} onSave={learn.saveFeatures} disabled={learn.training} />
        <label className="inline" title="Train again with the confident pixels of images nobody labelled (pseudo-labels; your labels always win)">
          <input type="checkbox" checked={learn.selfTrain} disabled={learn.training} onChange={(e) => learn.setSelfTrain(e.target.checked)} data-testid="learn-self-train" /> Self-train on unlabelled images
        </label>
        <label className="inline" title="After each stroke and after training, predict the visible part of the image">
          <input type="checkbox" checked={learn.live} disabled={!status} onChange={(e) => learn.setLive(e.target.checked)} data-testid="learn-live" /> Live
        </label>
        <label className="inline" title="Show how unsure the classifier is (margin between the two likeliest classes) instead of its classes">
          <input type="checkbox" checked={learn.view === 'uncertainty'} disabled={!status} onChange={(e) => learn.setView(e.target.checked ? 'uncertainty' : 'classes')} data-testid="learn-uncertainty" /> Uncertainty
        </label>
      </div>
      {learn.samModel && (
        <label className="inline small-text" title={`Training adds feature maps from the image embedding of the SAM model ${learn.samModel} (encoding takes seconds per image on a CPU; prediction then needs that model installed)`}>
          <input type="checkbox" checked={learn.samFeatures} onChange={(e) => learn.setSamFeatures(e.target.checked)} data-testid="learn-sam-features" /> SAM embeddings
        </label>
      )}
      {fractions && prediction && (
        <p className="small-text" data-testid="learn-prediction" data-fractions={JSON.stringify(Object.fromEntries(fractions))} data-count={learn.received}>
          Visible: {[...fractions].map(([id, f]) => `${nameOf(id)} ${(f * 100).toFixed(0)} %`).join(' · ')} · mean margin {(prediction.meanMargin * 100).toFixed(0)} %
          {trainActive ? '' : ' (shown while the Train tool is active)'}
          {trainActive && overSegments && (
            <span className="muted" data-testid="learn-over-segments">
              {' '}
              · drawn over the segments: O hides them
            </span>
          )}
        </p>
      )}
      <div className="row">
        <button className="small" disabled={!status || !hasImage} onClick={() => void learn.nextUncertain()} data-testid="learn-next-uncertain" title="Go to the least certain region of this image, to paint where it helps most">
          Next uncertain
        </button>
        {learn.uncertain && (
          <span className="small-text muted" data-testid="learn-uncertain" title="Outlined in red on the image while the Train tool is active, until the next stroke">
            {learn.uncertain.width} px square at {learn.uncertain.x}, {learn.uncertain.y} (outlined)
          </span>
        )}
      </div>
      {status && (
        <div className="row">
          <ExportClassifier learn={learn} />
        </div>
      )}
      <div className="row">
        <label className="inline">
          Apply to
          <select value={scope} onChange={(e) => setScope(e.target.value as ApplyScope)} data-testid="learn-apply-scope">
            <option value="image">this image</option>
            <option value="chosen">chosen images ({chosenCount})</option>
            <option value="all">all images ({imageCount})</option>
          </select>
        </label>
        <label className="inline small-text" title="Keep only segments the classifier is at least 90 % sure of; the rest stays unlabelled for you to draw (less to delete)">
          <input type="checkbox" checked={sureOnly} onChange={(e) => setSureOnly(e.target.checked)} data-testid="learn-apply-sure" /> Sure only
        </label>
        <button className="small" disabled={!status || count === 0} onClick={() => void learn.apply(scope, sureOnly ? SURE_CONFIDENCE : undefined)} data-testid="learn-apply" title="Predict the images: each becomes a new segmentation that keeps what you made">
          Apply
        </button>
      </div>
    </section>
  );
}
