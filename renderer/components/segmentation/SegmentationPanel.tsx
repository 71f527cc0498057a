// The Segment tab: every classic setting (mode, dark/bright objects, classes, minimum area, sigma,
// threshold kind, adaptive window, grain boundaries), a live preview of them on the visible part
// of the open image (segment.preview, debounced; a newer request cancels a waiting one), the
// project's saved presets, and "Segment this image / chosen images" with these settings. The panel
// opens on the settings of the project's latest classic segmentation.
import { useEffect, useRef, useState } from 'react';
import type { GrainLabClient, SegmentationPreset } from '../../../app/contract';
import { ServiceError } from '../../../app/errors';
import type { Observable } from '../../editor/observable';
import type { Viewport } from '../../../app/view/viewport';
import type { Images } from '../../workspace/images';
import type { Jobs } from '../../workspace/jobs';
import { keyHint } from '../../actions/registry';
import { formToOptions, optionsToForm, sameOptions, visibleRegion, type SettingsForm } from '../../workspace/segmentation-settings';

interface Props {
  client: GrainLabClient;
  images: Images;
  jobs: Jobs;
  /** The open image's size, null when none is open. */
  imageSize: { width: number; height: number } | null;
  viewport: Observable<Viewport | null>;
  screenSize(): { width: number; height: number };
  readOnly: boolean;
  onError(e: unknown): void;
  notify(kind: 'info' | 'error', text: string): void;
}

interface PreviewState {
  segments: number;
  ms: number;
  width: number;
  height: number;
  labels: Uint32Array;
  region: { x: number; y: number; width: number; height: number };
}

const PREVIEW_DELAY_MS = 300;

/** A colour per label id for the preview thumbnail (0 = background stays dark). */
function paint(canvas: HTMLCanvasElement, p: PreviewState): void {
  canvas.width = p.width;
  canvas.height = p.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(p.width, p.height);
  for (let i = 0; i < p.labels.length; i++) {
    const v = p.labels[i]!;
    const o = i * 4;
    if (v === 0) {
      img.data[o] = img.data[o + 1] = img.data[o + 2] = 24;
    } else {
      const h = Math.imul(v, 2654435761) >>> 0;
      img.data[o] = 80 + (h & 127);
      img.data[o + 1] = 80 + ((h >> 8) & 127);
      img.data[o + 2] = 80 + ((h >> 16) & 127);
    }
    img.data[o + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

export function SegmentationPanel({ client, images, jobs, imageSize, viewport, screenSize, readOnly, onError, notify }: Props) {
  const { settings: form, setSettings, preset, setPreset } = jobs;
  const [presets, setPresets] = useState<SegmentationPreset[]>([]);
  const [presetName, setPresetName] = useState('');
  const [live, setLive] = useState(true);
  const [preview, setPreview] = useState<PreviewState | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { settingsFrom, setSettingsFrom } = jobs;
  const thumb = useRef<HTMLCanvasElement>(null);
  const seq = useRef(0);

  const refreshPresets = () => void client.call('presets.list', {}).then(setPresets).catch(onError);
  useEffect(refreshPresets, [client]);

  // Open on the project's latest classic settings (recorded with each segmentation), once per
  // project: the settings live in the workspace, so leaving the tab keeps what was changed.
  useEffect(() => {
    if (settingsFrom !== null || images.images.length === 0) return;
    setSettingsFrom('defaults');
    const segmented = images.images.filter((i) => i.segmentCount > 0).slice(-50);
    void Promise.all(segmented.map((i) => client.call('segmentation.settings', { imageId: i.id }).catch(() => null))).then((records) => {
      const latest = records.filter((r) => r && r.engine === 'classic').sort((a, b) => (a!.at < b!.at ? 1 : -1))[0];
      if (!latest) return;
      const { preset: p, ...rest } = latest.settings;
      setSettings(optionsToForm(rest));
      if (typeof latest.preset === 'string') setPreset(latest.preset);
      else if (typeof p === 'string') setPreset(p);
      setSettingsFrom(`the latest segmentation (${images.images.find((i) => i.id === latest.imageId)?.name ?? `image ${latest.imageId}`})`);
    });
  }, [client, images.images, settingsFrom, setSettings, setPreset, setSettingsFrom]);

  // Live preview: debounced; a newer request makes main cancel the waiting one, and an old answer is dropped.
  const selected = images.selected;
  const [viewTick, setViewTick] = useState(0);
  useEffect(() => {
    let t: ReturnType<typeof setTimeout> | undefined;
    const off = viewport.subscribe(() => {
      clearTimeout(t);
      t = setTimeout(() => setViewTick((n) => n + 1), 400);
    });
    return () => {
      clearTimeout(t);
      void off();
    };
  }, [viewport]);
  useEffect(() => {
    if (!live || selected === null || !imageSize) return;
    let options;
    try {
      options = formToOptions(form);
    } catch (e) {
      setPreviewError(e instanceof Error ? e.message : String(e));
      return;
    }
    const my = ++seq.current;
    const t = setTimeout(() => {
      const s = screenSize();
      const region = visibleRegion(viewport.get(), s.width, s.height, imageSize.width, imageSize.height);
      setBusy(true);
      client
        .call('segment.preview', { imageId: selected, region, classic: options, maxSide: 512 })
        .then((p) => {
          if (my !== seq.current) return;
          setPreview({ segments: p.segments, ms: p.ms, width: p.width, height: p.height, labels: p.labels, region: p.region });
          setPreviewError(null);
        })
        .catch((e: unknown) => {
          if (my !== seq.current || (e instanceof ServiceError && e.code === 'cancelled')) return;
          setPreviewError(e instanceof Error ? e.message : String(e));
        })
        .finally(() => my === seq.current && setBusy(false));
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(t);
  }, [client, form, live, selected, imageSize, viewTick]);

  useEffect(() => {
    if (preview && thumb.current) paint(thumb.current, preview);
  }, [preview]);

  const set = <K extends keyof SettingsForm>(k: K, v: SettingsForm[K]) => setSettings({ ...form, [k]: v });
  const num = (k: 'minArea' | 'sigma' | 'blockSize' | 'offset' | 'classes', v: string) => {
    const n = Number(v);
    if (v.trim() !== '' && Number.isFinite(n)) set(k, n);
  };
  /** An optional tuning value: empty = the engine's default. */
  const opt = (k: 'lineWidth' | 'seedDepth' | 'mergeContrast', v: string) => {
    const n = Number(v);
    if (v.trim() === '') set(k, null);
    else if (Number.isFinite(n)) set(k, n);
  };
  const applyPreset = (name: string) => {
    const p = presets.find((x) => x.name === name);
    if (!p) return;
    setSettings(optionsToForm(p.settings));
    setPreset(p.name);
    setPresetName(p.name);
  };
  const chosen = images.chosen.filter((id) => id !== selected || images.chosen.length > 1);
  const activePreset = preset && presets.find((p) => p.name === preset && sameOptions(optionsToForm(p.settings), form)) ? preset : null;

  return (
    <div className="seg-settings" data-testid="segment-settings">
      <section>
        <h3>Settings</h3>
        <p className="muted small-text" data-testid="settings-from">
          {activePreset ? `Preset "${activePreset}"` : `From ${settingsFrom ?? 'defaults'}`}
        </p>
        <div className="form-grid">
          <label htmlFor="seg-mode">Mode</label>
          <select id="seg-mode" value={form.mode} onChange={(e) => set('mode', e.target.value as SettingsForm['mode'])} data-testid="set-mode" title="Phase: threshold regions. Grain: grains split along boundaries.">
            <option value="phase">Phase</option>
            <option value="grain">Grain</option>
          </select>
          <label htmlFor="seg-polarity">Objects</label>
          <select id="seg-polarity" value={form.invert ? 'dark' : 'bright'} onChange={(e) => set('invert', e.target.value === 'dark')} data-testid="set-polarity" title="Which side of the threshold is foreground">
            <option value="bright">Bright</option>
            <option value="dark">Dark</option>
          </select>
          <label htmlFor="seg-minarea">Min. area (px)</label>
          <input id="seg-minarea" type="number" min={0} step={1} value={form.minArea} onChange={(e) => num('minArea', e.target.value)} data-testid="set-min-area" />
          <label htmlFor="seg-sigma">Smoothing σ (px)</label>
          <input id="seg-sigma" type="number" min={0} max={50} step={0.5} value={form.sigma} onChange={(e) => num('sigma', e.target.value)} data-testid="set-sigma" title="Gaussian smoothing before thresholding; 0 = none" />
          {form.mode === 'phase' ? (
            <>
              <label htmlFor="seg-classes">Classes</label>
              <input id="seg-classes" type="number" min={2} max={5} step={1} value={form.classes} onChange={(e) => num('classes', e.target.value)} data-testid="set-classes" title="Intensity classes: 2 = Otsu, 3 to 5 = multi-Otsu" />
              <label htmlFor="seg-threshold">Threshold</label>
              <select id="seg-threshold" value={form.threshold} onChange={(e) => set('threshold', e.target.value as SettingsForm['threshold'])} data-testid="set-threshold" title="Global (multi-)Otsu, or a local mean for uneven illumination">
                <option value="otsu">Otsu (global)</option>
                <option value="adaptive">Adaptive (local)</option>
              </select>
              {form.threshold === 'adaptive' && (
                <>
                  <label htmlFor="seg-block">Window (px)</label>
                  <input id="seg-block" type="number" min={3} step={2} value={form.blockSize} onChange={(e) => num('blockSize', e.target.value)} data-testid="set-block-size" title="Odd window of the local mean" />
                  <label htmlFor="seg-offset">Offset</label>
                  <input id="seg-offset" type="number" min={-1} max={1} step={0.01} value={form.offset} onChange={(e) => num('offset', e.target.value)} title="Fraction of the intensity range" />
                </>
              )}
              <label htmlFor="seg-bg">Label matrix</label>
              <input id="seg-bg" type="checkbox" checked={form.labelBackground} onChange={(e) => set('labelBackground', e.target.checked)} title="Background (matrix) regions get ids too" />
            </>
          ) : (
            <>
              <label htmlFor="seg-style">Boundaries</label>
              <select id="seg-style" value={form.boundaryStyle} onChange={(e) => set('boundaryStyle', e.target.value as SettingsForm['boundaryStyle'])} data-testid="set-boundary-style" title="Thin lines, shade/colour edges, or decided from the image">
                <option value="auto">Automatic</option>
                <option value="lines">Lines</option>
                <option value="edges">Edges</option>
              </select>
              <label htmlFor="seg-seeds">Seeds</label>
              <select id="seg-seeds" value={form.boundaries} onChange={(e) => set('boundaries', e.target.value as SettingsForm['boundaries'])} title="Grain seeds from strong boundary evidence or Canny edges">
                <option value="threshold">Threshold</option>
                <option value="canny">Canny</option>
              </select>
              <label htmlFor="seg-line">Line width (px)</label>
              <input id="seg-line" type="number" min={1} max={100} step={1} placeholder="auto" value={form.lineWidth ?? ''} onChange={(e) => opt('lineWidth', e.target.value)} title="Typical boundary line width; empty = the engine's default" />
              <label htmlFor="seg-depth">Seed depth (px)</label>
              <input id="seg-depth" type="number" min={0} step={0.5} placeholder="auto" value={form.seedDepth ?? ''} onChange={(e) => opt('seedDepth', e.target.value)} data-testid="set-seed-depth" title="Minimum distance of a grain seed from a boundary: larger = fewer, bigger grains" />
              <label htmlFor="seg-merge">Merge contrast</label>
              <input id="seg-merge" type="number" min={0} max={255} step={1} placeholder="auto" value={form.mergeContrast ?? ''} onChange={(e) => opt('mergeContrast', e.target.value)} title="Neighbours whose mean intensity differs by less than this (0-255) are merged" />
            </>
          )}
        </div>
      </section>
      <section>
        <h3>Preview</h3>
        <label className="check-row">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} data-testid="preview-live" /> Live, on the visible region
        </label>
        {selected === null ? (
          <p className="muted">Open an image to preview.</p>
        ) : previewError ? (
          <p className="warn-text" data-testid="preview-error">
            {previewError}
          </p>
        ) : preview && live ? (
          <>
            <p data-testid="preview-count">
              {preview.segments} segment{preview.segments === 1 ? '' : 's'} <span className="muted">{busy ? '· updating…' : `· ${Math.round(preview.ms)} ms, ${preview.region.width}×${preview.region.height} px`}</span>
            </p>
            <canvas ref={thumb} className="preview-thumb" data-testid="preview-thumb" />
          </>
        ) : live ? (
          <p className="muted">{busy ? 'Previewing…' : ''}</p>
        ) : null}
      </section>
      <section>
        <h3>Presets</h3>
        <div className="row">
          <select value={activePreset ?? ''} onChange={(e) => applyPreset(e.target.value)} data-testid="preset-select" disabled={presets.length === 0}>
            <option value="">{presets.length ? 'Apply a preset…' : 'No presets yet'}</option>
            {presets.map((p) => (
              <option key={p.name} value={p.name} title={p.description}>
                {p.name}
              </option>
            ))}
          </select>
          {activePreset && (
            <button
              className="small"
              disabled={readOnly}
              onClick={() =>
                void client
                  .call('presets.delete', { name: activePreset })
                  .then(() => {
                    setPreset(null);
                    refreshPresets();
                  })
                  .catch(onError)
              }
              data-testid="preset-delete"
            >
              Delete
            </button>
          )}
        </div>
        <div className="row">
          <input type="text" placeholder="Preset name (e.g. ferrite 500x)" value={presetName} onChange={(e) => setPresetName(e.target.value)} data-testid="preset-name" />
          <button
            className="small"
            disabled={readOnly || presetName.trim() === ''}
            onClick={() => {
              let settings;
              try {
                settings = formToOptions(form);
              } catch (e) {
                onError(e);
                return;
              }
              void client
                .call('presets.save', { name: presetName.trim(), description: '', settings })
                .then((p) => {
                  setPreset(p.name);
                  notify('info', `Preset "${p.name}" saved in the project.`);
                  refreshPresets();
                })
                .catch(onError);
            }}
            data-testid="preset-save"
          >
            Save
          </button>
        </div>
      </section>
      <section>
        <h3>Segment</h3>
        <div className="row">
          <button className="primary" disabled={readOnly || selected === null || jobs.running} onClick={() => selected !== null && void jobs.segment([selected])} data-testid="settings-segment-this" title={`Segment the open image with these settings${keyHint('image.segment')}`}>
            Segment this image
          </button>
          <button disabled={readOnly || chosen.length === 0 || jobs.running} onClick={() => void jobs.segment(chosen, `Segment ${chosen.length} chosen image${chosen.length === 1 ? '' : 's'}`)} data-testid="settings-segment-chosen" title="Segment the images chosen in the list (Ctrl/Shift-click) with these settings">
            Chosen ({chosen.length})
          </button>
        </div>
        <p className="muted small-text">Segments you made or verified are kept unless you choose otherwise; the old segmentation stays as a version.</p>
      </section>
    </div>
  );
}
