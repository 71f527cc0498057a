// Learning from corrections in the workspace (issue 12): the open image's scribbles (painted with
// the Train tool, sent to main with learn.scribbles.*), the project's training labels and
// classifier, training as a job, the live prediction of the visible rectangle (debounced after a
// stroke and after training), the next uncertain region, and applying the classifier to images.
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import type { GrainLabClient } from '../../app/contract';
import type { LabelSummary, LearnClassifierInfo, LearnFeatureSet, RegionPrediction, ScribbleState, UncertainRegion } from '../../app/contract/learn';
import type { FeatureKind } from '../../app/learn/features';
import type { ClassRecord } from '../../app/types';
import type { Questions } from '../components/dialogs/useQuestions';
import type { ViewerHandle } from '../components/Viewer';
import type { Observable } from '../editor/observable';
import { predictionRgba, scribbleShape, squareOutline, visibleRect } from '../tools/train/layer';
import { strokeTouchesImage } from '../../app/learn/strokes';
import { samFeatureModel } from '../components/learn/sam-option';
import type { TrainTool } from '../tools/train/train';
import type { Intent } from '../tools/types';
import type { Toasts } from './toasts';
import { SELF_TRAIN_DEFAULT } from '../../app/learn/self-train-default';

/** Quiet time after a stroke before the live prediction refreshes. */
const LIVE_DEBOUNCE_MS = 300;

interface LearnDeps {
  client: GrainLabClient;
  toasts: Toasts;
  questions: Questions;
  imageId: number | null;
  imageIds: readonly number[];
  chosen: readonly number[];
  classes: readonly ClassRecord[];
  ensureClasses(count: number): Promise<readonly ClassRecord[] | null>;
  tool: TrainTool;
  viewer: RefObject<ViewerHandle | null>;
  /** Pan and zoom: the live prediction follows the visible rectangle. */
  viewport: Observable<unknown>;
  redraw(): void;
}

export type ApplyScope = 'image' | 'chosen' | 'all';

export function useLearn({ client, toasts, questions, imageId, imageIds, chosen, classes, ensureClasses, tool, viewer, viewport, redraw }: LearnDeps) {
  const { onError, toast } = toasts;
  const [scribbles, setScribbles] = useState<ScribbleState | null>(null);
  const [labels, setLabels] = useState<LabelSummary | null>(null);
  const [status, setStatus] = useState<LearnClassifierInfo | null>(null);
  const [live, setLive] = useState(false);
  const [view, setView] = useState<'classes' | 'uncertainty'>('classes');
  const [prediction, setPrediction] = useState<RegionPrediction | null>(null);
  /** The square Next uncertain went to (outlined while the Train tool is active, until the next stroke). */
  const [uncertain, setUncertain] = useState<UncertainRegion | null>(null);
  const [trainJob, setTrainJob] = useState<string | null>(null);
  /** Self-train on confident pixels of unlabelled images when training (app/learn/self-train.ts). */
  const [selfTrain, setSelfTrain] = useState(SELF_TRAIN_DEFAULT);
  /** Live predictions received so far (the panel shows it, so a refresh can be seen). */
  const [received, setReceived] = useState(0);
  /** The installed SAM model whose embedding training may add as features (null: none), and whether to (off by default). */
  const [samModel, setSamModel] = useState<string | null>(null);
  const [samFeatures, setSamFeatures] = useState(false);
  const version = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  /** Live strokes of the open image (0 until its list arrived). */
  const strokes = scribbles && scribbles.imageId === imageId ? scribbles.strokes.length : null;
  const latest = useRef({ imageId, live, status, classes, strokes });
  latest.current = { imageId, live, status, classes, strokes };

  const refreshSummary = useCallback(async () => {
    const [l, s] = await Promise.all([client.call('learn.labels', {}), client.call('learn.status', {})]);
    setLabels(l);
    setStatus(s);
    const sam = await client.call('sam.status', {}).catch(() => null);
    setSamModel(samFeatureModel(sam));
  }, [client]);
  useEffect(() => void refreshSummary().catch(onError), [refreshSummary, onError]);

  // The project's feature set (Features…): what the next training uses.
  const [features, setFeatureSet] = useState<LearnFeatureSet | null>(null);
  useEffect(() => void client.call('learn.features', {}).then(setFeatureSet, onError), [client, onError]);
  const saveFeatures = useCallback(
    async (spec: { sigmas: number[]; kinds: FeatureKind[] }) => {
      try {
        const f = await client.call('learn.setFeatures', spec);
        setFeatureSet(f);
        toast('info', `Features for the next training: ${f.summary}.`);
        return true;
      } catch (e) {
        onError(e);
        return false;
      }
    },
    [client, toast, onError],
  );

  // The open image's strokes, on opening it.
  useEffect(() => {
    setScribbles(null);
    setPrediction(null);
    if (imageId === null) return;
    let gone = false;
    client
      .call('learn.scribbles.list', { imageId })
      .then((s) => !gone && setScribbles(s))
      .catch(onError);
    return () => {
      gone = true;
    };
  }, [client, imageId, onError]);

  // What the Train tool draws: strokes, the prediction, the active class's colour.
  useEffect(() => {
    const rgba = prediction ? predictionRgba(prediction, classes, view) : null;
    tool.layer = {
      scribbles: scribbles && scribbles.imageId === imageId ? scribbleShape(scribbles.strokes, classes) : null,
      prediction: prediction && rgba ? { kind: 'raster', box: { x: prediction.x, y: prediction.y, width: prediction.width, height: prediction.height }, rgba, version: ++version.current } : null,
      target: uncertain && uncertain.imageId === imageId ? squareOutline(uncertain) : null,
    };
    redraw();
  }, [tool, scribbles, prediction, uncertain, classes, view, imageId, redraw]);
  useEffect(() => {
    const c = classes[tool.classIndex - 1];
    if (c) tool.colour = c.color;
  });

  /** Predicts the visible rectangle now (when a classifier exists). */
  const predictVisible = useCallback(async () => {
    const { imageId: id, status: st } = latest.current;
    const v = viewer.current?.canvas;
    if (id === null || !st || !v || !v.width) return;
    const rect = visibleRect(v.view, v.screenW, v.screenH, v.width, v.height);
    if (!rect) return;
    try {
      const p = await client.call('learn.predictRegion', { imageId: id, ...rect });
      if (latest.current.imageId === id) {
        setPrediction(p);
        setReceived((n) => n + 1);
      }
    } catch (e) {
      onError(e);
    }
  }, [client, viewer, onError]);

  const schedule = useCallback(() => {
    if (!latest.current.live) return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => void predictVisible(), LIVE_DEBOUNCE_MS);
  }, [predictVisible]);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  useEffect(() => viewport.subscribe(schedule), [viewport, schedule]);
  // Turning Live on, and each newly trained classifier, predict at once.
  const trainedVersion = status?.version ?? null;
  useEffect(() => {
    if (live && trainedVersion !== null) void predictVisible();
    else setPrediction(null);
  }, [live, predictVisible, trainedVersion]);

  /** A Train-tool stroke or undo, sent to main. */
  const onIntent = useCallback(
    async (i: Extract<Intent, { type: 'scribble' | 'scribbleUndo' }>) => {
      const id = latest.current.imageId;
      if (id === null) return;
      // A drag wholly beside the image paints nothing: not sent (main would refuse it).
      const c = viewer.current?.canvas;
      if (i.type === 'scribble' && c?.width && !strokeTouchesImage(c.width, c.height, i)) return;
      try {
        let s: ScribbleState;
        if (i.type === 'scribbleUndo' && latest.current.strokes === 0) {
          // After Apply a person reaches for Ctrl+Z while the Train tool still holds it.
          toast('info', 'No stroke to take back on this image: with the Train tool, Ctrl+Z undoes strokes. Pick another tool (Q) to undo edits.');
          return;
        }
        if (i.type === 'scribbleUndo') s = await client.call('learn.scribbles.undo', { imageId: id });
        else if (i.mode === 'erase') s = await client.call('learn.scribbles.erase', { imageId: id, radius: i.radius, points: i.points });
        else {
          const list = latest.current.classes.length >= i.classIndex ? latest.current.classes : await ensureClasses(i.classIndex);
          const cls = list?.[i.classIndex - 1];
          if (!cls) return;
          s = await client.call('learn.scribbles.add', { imageId: id, classId: cls.id, radius: i.radius, points: i.points });
        }
        if (latest.current.imageId === id) setScribbles(s);
        setUncertain(null);
        void refreshSummary().catch(onError);
        schedule();
      } catch (e) {
        onError(e);
      }
    },
    [client, ensureClasses, refreshSummary, schedule, onError, viewer, toast],
  );

  // The training job: when it ends, the new classifier and a fresh live prediction.
  useEffect(() => {
    if (!trainJob) return;
    return client.on('onDidProgress', (e) => {
      if (e.jobId !== trainJob || e.state === 'running') return;
      setTrainJob(null);
      if (e.state === 'done') toast('info', 'Classifier trained.');
      void refreshSummary().catch(onError);
    });
  }, [client, trainJob, refreshSummary, toast, onError]);

  const train = useCallback(async () => {
    try {
      const { jobId } = await client.call('learn.train', { selfTrain, ...(samFeatures && samModel ? { sam: true } : {}) });
      setTrainJob(jobId);
    } catch (e) {
      onError(e);
    }
  }, [client, onError, samFeatures, samModel, selfTrain]);

  const nextUncertain = useCallback(async () => {
    const id = latest.current.imageId;
    if (id === null) return;
    try {
      const r = await client.call('learn.nextUncertain', { imageId: id });
      if (!r) return toast('info', 'Nothing uncertain found.');
      viewer.current?.centreOn({ x: r.x, y: r.y, width: r.width, height: r.height });
      setUncertain(r);
      schedule();
      setTimeout(() => void predictVisible(), 50);
    } catch (e) {
      onError(e);
    }
  }, [client, viewer, toast, onError, schedule, predictVisible]);

  /**
   * Predicts images with the classifier (asks first when a person's work is at stake, as segmenting
   * does); minConfidence keeps only the segments it is that sure of, the rest is left to draw.
   */
  const apply = useCallback(
    async (scope: ApplyScope, minConfidence?: number) => {
      const id = latest.current.imageId;
      const ids = scope === 'image' ? (id === null ? [] : [id]) : scope === 'chosen' ? [...chosen] : [...imageIds];
      if (ids.length === 0) return;
      try {
        const keep = await questions.askSegmenting(ids, ids.length === 1 ? 'Predict this image' : `Predict ${ids.length} images`, ids.length > 1);
        if (!keep) return;
        await client.call('learn.predict', { imageIds: ids, keep, ...(minConfidence ? { minConfidence } : {}) });
      } catch (e) {
        onError(e);
      }
    },
    [client, chosen, imageIds, questions, onError],
  );

  /** Where Export classifier… proposes to write: the project folder, as ONNX. */
  const exportPath = useCallback(async () => {
    const p = await client.call('project.current', {});
    const dir = (p?.path ?? '').replace(/[\\/]+$/, '');
    const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
    return `${dir}${sep}classifier-v${latest.current.status?.version ?? 0}.onnx`;
  }, [client]);

  /** Writes the classifier to a file for batch use (.onnx, .json or .glclf, by the extension). */
  const exportClassifier = useCallback(
    async (path: string) => {
      try {
        const r = await client.call('learn.export', { path });
        toast('info', `Classifier written to ${r.path} (${r.bytes.toLocaleString()} bytes).`);
        return true;
      } catch (e) {
        onError(e);
        return false;
      }
    },
    [client, toast, onError],
  );

  return { features, saveFeatures, scribbles, labels, status, live, setLive, view, setView, prediction, received, uncertain: uncertain && uncertain.imageId === imageId ? uncertain : null, training: trainJob !== null, selfTrain, setSelfTrain, onIntent, train, nextUncertain, apply, predictVisible, exportPath, exportClassifier, samModel, samFeatures, setSamFeatures };
}

export type Learn = ReturnType<typeof useLearn>;
