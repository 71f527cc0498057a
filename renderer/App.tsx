// The GrainLab window: project screen, or the workspace (image list, canvas, toolbar, status bar).
import { useCallback, useEffect, useRef, useState } from 'react';
import { getClient } from './client';
import type { ProgressEvent, SegmentationData, AppInfo } from '../app/contract';
import type { ImageRecord, ProjectInfo, RasterImage } from '../app/types';
import { percentileWindow, fullWindow, type DisplayWindow } from '../app/image/display';
import { ServiceError } from '../app/errors';
import { ProjectScreen } from './components/ProjectScreen';
import { ImageList } from './components/ImageList';
import { JobsPanel, Toasts, type Toast } from './components/Jobs';
import { Viewer, type HoverInfo, type ViewerHandle } from './components/Viewer';
import type { Viewport } from '../app/view/viewport';

const ACCEPT = '.png,.jpg,.jpeg,.tif,.tiff,image/png,image/jpeg,image/tiff';

function errorText(e: unknown): string {
  if (e instanceof ServiceError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

function imageFromHash(): number | null {
  const m = /image=(\d+)/.exec(window.location.hash);
  return m ? Number(m[1]) : null;
}

export function App() {
  const client = getClient();
  const [project, setProject] = useState<ProjectInfo | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [images, setImages] = useState<ImageRecord[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [raster, setRaster] = useState<RasterImage | null>(null);
  const [displayWindow, setDisplayWindow] = useState<DisplayWindow | null>(null);
  const [segmentation, setSegmentation] = useState<SegmentationData | null>(null);
  const [overlayVisible, setOverlayVisible] = useState(true);
  const [opacity, setOpacity] = useState(0.45);
  const [mode, setMode] = useState<'phase' | 'grain'>('phase');
  const [invert, setInvert] = useState(false);
  const [hover, setHover] = useState<HoverInfo | null>(null);
  const [viewport, setViewport] = useState<Viewport | null>(null);
  const [jobs, setJobs] = useState<ProgressEvent[]>([]);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [dragging, setDragging] = useState(false);
  const [importing, setImporting] = useState<string | null>(null);
  const viewer = useRef<ViewerHandle>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const toastId = useRef(1);

  const toast = useCallback((kind: Toast['kind'], text: string) => {
    const id = toastId.current++;
    setToasts((t) => [...t.slice(-4), { id, kind, text }]);
    if (kind === 'info') setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 4000);
  }, []);
  const onError = useCallback((e: unknown) => toast('error', errorText(e)), [toast]);

  const refreshImages = useCallback(async () => {
    const list = await client.call('images.list', {});
    setImages(list);
    return list;
  }, [client]);

  // Startup: is a project already open in main (e.g. after a page reload)?
  useEffect(() => {
    Promise.all([client.call('project.current', {}), client.call('app.info', {})])
      .then(([p, i]) => {
        setInfo(i);
        setProject(p);
      })
      .catch(onError)
      .finally(() => setLoaded(true));
  }, [client, onError]);

  useEffect(() => {
    if (!project) return;
    document.title = `${project.name} — GrainLab`;
    refreshImages()
      .then((list) => {
        const want = imageFromHash();
        if (want && list.some((i) => i.id === want)) setSelected(want);
      })
      .catch(onError);
  }, [project, refreshImages, onError]);

  // Open the selected image: raw pixels, display window, segmentation.
  useEffect(() => {
    if (selected === null) return;
    window.history.replaceState(null, '', `#image=${selected}`);
    let live = true;
    setSegmentation(null);
    Promise.all([client.call('images.pixels', { id: selected }), client.call('segmentation.get', { imageId: selected })])
      .then(([px, seg]) => {
        if (!live) return;
        setRaster(px);
        setDisplayWindow(percentileWindow(px));
        setSegmentation(seg);
      })
      .catch(onError);
    return () => {
      live = false;
    };
  }, [selected, client, onError]);

  useEffect(() => {
    const offProgress = client.on('onDidProgress', (e) => {
      setJobs((js) => [...js.filter((j) => j.jobId !== e.jobId), e]);
      if (e.state !== 'running') {
        if (e.state === 'failed') toast('error', e.error?.message ?? 'A job failed.');
        setTimeout(() => setJobs((js) => js.filter((j) => j.jobId !== e.jobId)), e.state === 'done' ? 1500 : 5000);
      }
    });
    const offChange = client.on('onDidChangeImage', (e) => {
      void refreshImages().catch(() => {});
      if (e.reason === 'segmented' && e.imageId === selectedRef.current) {
        client.call('segmentation.get', { imageId: e.imageId }).then(setSegmentation, onError);
      }
    });
    return () => {
      offProgress();
      offChange();
    };
  }, [client, refreshImages, toast, onError]);
  const selectedRef = useRef<number | null>(null);
  selectedRef.current = selected;

  const importFiles = useCallback(
    async (files: File[]) => {
      if (files.length === 0) return;
      let ok = 0;
      let firstNew: number | null = null;
      for (let i = 0; i < files.length; i++) {
        const f = files[i]!;
        setImporting(`Importing ${i + 1} of ${files.length}: ${f.name}`);
        try {
          const bytes = new Uint8Array(await f.arrayBuffer());
          const res = await client.call('images.importFiles', { files: [{ name: f.name, bytes }] });
          ok += res.imported.length;
          if (firstNew === null && res.imported[0]) firstNew = res.imported[0].id;
          for (const fail of res.failed) toast('error', fail.message);
        } catch (e) {
          onError(e);
        }
      }
      setImporting(null);
      await refreshImages();
      if (ok > 0) toast('info', `Imported ${ok} image${ok === 1 ? '' : 's'}.`);
      if (selectedRef.current === null && firstNew !== null) setSelected(firstNew);
    },
    [client, refreshImages, toast, onError],
  );

  const segment = useCallback(
    async (ids: number[]) => {
      if (ids.length === 0) return;
      try {
        await client.call('segment.auto', { imageIds: ids, engine: 'classic', classic: { mode, minArea: 16, invert } });
      } catch (e) {
        onError(e);
      }
    },
    [client, mode, invert, onError],
  );

  const closeProject = async () => {
    await client.call('project.close', {}).catch(onError);
    setProject(null);
    setImages([]);
    setSelected(null);
    setRaster(null);
    setSegmentation(null);
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  };

  // Keyboard shortcuts (ignored while typing in a field).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA') return;
      const idx = images.findIndex((i) => i.id === selected);
      if (e.key === 'o' || e.key === 'O') setOverlayVisible((v) => !v);
      else if (e.key === 'f' || e.key === 'F' || (e.ctrlKey && e.key === '0')) viewer.current?.fit();
      else if (e.ctrlKey && e.key === '1') viewer.current?.actualSize();
      else if (e.key === '+' || e.key === '=') viewer.current?.zoomBy(1.25);
      else if (e.key === '-') viewer.current?.zoomBy(0.8);
      else if (e.key === 'PageDown' && idx >= 0 && idx < images.length - 1) setSelected(images[idx + 1]!.id);
      else if (e.key === 'PageUp' && idx > 0) setSelected(images[idx - 1]!.id);
      else if (e.key === 's' && !e.ctrlKey && selected !== null) void segment([selected]);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [images, selected, segment]);

  if (!loaded) return <div className="start muted">Connecting…</div>;
  if (!project) {
    return (
      <>
        <ProjectScreen onOpened={setProject} onError={onError} />
        <Toasts toasts={toasts} onDismiss={(id) => setToasts((t) => t.filter((x) => x.id !== id))} />
      </>
    );
  }

  const current = images.find((i) => i.id === selected) ?? null;
  const bitMax = raster?.bitDepth === 16 ? 65535 : 255;
  const sam = info?.engines.find((e) => e.id === 'sam');
  const running = jobs.some((j) => j.state === 'running');

  return (
    <div
      className="workspace"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        void importFiles(Array.from(e.dataTransfer.files));
      }}
    >
      <header className="toolbar">
        <span className="brand">GrainLab</span>
        <span className="project-name" title={project.path} data-testid="project-name">
          {project.name}
        </span>
        <button onClick={() => fileInput.current?.click()} data-testid="import-button" title="Import PNG, JPEG or TIFF files (or drop them on the window)">
          Import…
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          accept={ACCEPT}
          hidden
          data-testid="file-input"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            void importFiles(files);
          }}
        />
        <span className="sep" />
        <label className="inline" title="Phase: threshold regions. Grain: grains split along boundaries.">
          Mode
          <select value={mode} onChange={(e) => setMode(e.target.value as 'phase' | 'grain')} data-testid="mode">
            <option value="phase">Phase</option>
            <option value="grain">Grain</option>
          </select>
        </label>
        <label className="inline" title="Foreground is the darker side of the threshold">
          <input type="checkbox" checked={invert} onChange={(e) => setInvert(e.target.checked)} /> Dark objects
        </label>
        <button className="primary" disabled={selected === null || running} onClick={() => selected !== null && void segment([selected])} data-testid="segment-button" title="Auto-segment this image (S)">
          Segment
        </button>
        <button disabled={images.length === 0 || running} onClick={() => void segment(images.map((i) => i.id))} title="Auto-segment every image in the project">
          Segment all
        </button>
        <span className="sep" />
        <label className="inline" title="Show the segmentation overlay (O)">
          <input type="checkbox" checked={overlayVisible} onChange={(e) => setOverlayVisible(e.target.checked)} data-testid="overlay-toggle" /> Overlay
        </label>
        <label className="inline" title="Overlay fill opacity">
          Opacity
          <input type="range" min={0} max={1} step={0.05} value={opacity} onChange={(e) => setOpacity(Number(e.target.value))} data-testid="opacity" />
        </label>
        <span className="sep" />
        <button onClick={() => viewer.current?.fit()} title="Fit to window (F or Ctrl+0)">
          Fit
        </button>
        <button onClick={() => viewer.current?.actualSize()} title="Actual pixels (Ctrl+1)">
          1:1
        </button>
        <span className="spacer" />
        {sam && !sam.available && (
          <span className="hint" title={sam.note}>
            No SAM model
          </span>
        )}
        <button onClick={() => void closeProject()} title="Close this project (everything is already saved)">
          Close
        </button>
      </header>

      <aside className="sidebar">
        <div className="sidebar-head">
          Images <span className="muted">({images.length})</span>
        </div>
        <ImageList images={images} selected={selected} onSelect={setSelected} />
      </aside>

      <main className="stage-area">
        {raster && displayWindow && current ? (
          <Viewer
            ref={viewer}
            raster={raster}
            window={displayWindow}
            labels={segmentation ? { data: segmentation.labels, width: segmentation.width, height: segmentation.height } : null}
            overlayVisible={overlayVisible}
            opacity={opacity}
            pixelSizeUm={current.pixelSizeUm}
            onHover={setHover}
            onViewport={setViewport}
          />
        ) : (
          <div className="placeholder-stage muted">{images.length ? 'Select an image on the left.' : 'Import micrographs to begin: Import… or drop files here.'}</div>
        )}
        {raster && displayWindow && (
          <div className="contrast" title="Display window: raw values between low and high are stretched to black..white. Analysis always uses raw values.">
            <span>Contrast</span>
            <input type="number" min={0} max={bitMax} value={displayWindow.low} onChange={(e) => setDisplayWindow({ ...displayWindow, low: Math.min(Number(e.target.value), displayWindow.high - 1) })} data-testid="window-low" />
            <input type="number" min={0} max={bitMax} value={displayWindow.high} onChange={(e) => setDisplayWindow({ ...displayWindow, high: Math.max(Number(e.target.value), displayWindow.low + 1) })} data-testid="window-high" />
            <button className="small" onClick={() => setDisplayWindow(percentileWindow(raster))} title="0.5–99.5 percentile stretch">
              Auto
            </button>
            <button className="small" onClick={() => setDisplayWindow(fullWindow(raster))} title="Full range of the bit depth">
              Full
            </button>
          </div>
        )}
        {dragging && <div className="drop-overlay">Drop PNG, JPEG or TIFF files to import</div>}
        {importing && <div className="importing">{importing}</div>}
        <JobsPanel jobs={jobs} />
      </main>

      <footer className="statusbar" data-testid="statusbar">
        {current ? (
          <>
            <span>{current.name}</span>
            <span>
              {current.width}×{current.height} px{current.pixelSizeUm ? ` · ${current.pixelSizeUm.toPrecision(3)} µm/px` : ' · uncalibrated'}
            </span>
            <span data-testid="hover-info">
              {hover
                ? `x ${hover.x}, y ${hover.y}${current.pixelSizeUm ? ` (${(hover.x * current.pixelSizeUm).toFixed(2)}, ${(hover.y * current.pixelSizeUm).toFixed(2)} µm)` : ''} · value ${hover.value?.join(', ') ?? '–'}${hover.segmentId ? ` · segment ${hover.segmentId}` : ''}`
                : '—'}
            </span>
            <span>{segmentation ? `${segmentation.segments.length} segments (${segmentation.engine})` : 'not segmented'}</span>
            <span className="spacer" />
            <span data-testid="zoom">{viewport ? `${Math.round(viewport.scale * 100)}%` : ''}</span>
          </>
        ) : (
          <span className="muted">{project.path}</span>
        )}
      </footer>
      <Toasts toasts={toasts} onDismiss={(id) => setToasts((t) => t.filter((x) => x.id !== id))} />
    </div>
  );
}
