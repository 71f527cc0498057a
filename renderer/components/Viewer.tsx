// The micrograph canvas: a react-konva Stage with three layers (image tiles, overlay tiles,
// interaction) drawn by CanvasView. Left-button input goes to the active tool in image
// coordinates; middle button or Space+drag pans; the wheel zooms about the cursor. Hit-testing
// reads the label map. View changes redraw imperatively (no React render per frame).
import { useEffect, useRef, useState, useCallback, forwardRef, useImperativeHandle } from 'react';
import { Stage, Layer, Shape, Rect, Text } from 'react-konva';
import type Konva from 'konva';
import type { Box, RasterImage } from '../../app/types';
import { valueAt, type DisplayWindow } from '../../app/image/display';
import { fitViewport, actualSize, zoomAt, wheelZoomFactor, screenToImage, scaleBar, type Viewport } from '../../app/view/viewport';
import { CanvasView, type OverlaySettings } from '../viewer/canvas-view';
import type { EditSession } from '../editor/session';
import type { Selection } from '../editor/selection';
import type { Observable } from '../editor/observable';
import type { PointerInput, Tool, ToolContext } from '../tools/types';
import { debugHooks, markInput, recordFrame } from '../debug';

/** Height of the strip the floating Contrast box covers at the top of the canvas: a fitted image starts below it. */
const FIT_INSET_TOP = 44;

export interface HoverInfo {
  x: number;
  y: number;
  value: number[] | null;
  segmentId: number;
}

export interface ViewerHandle {
  fit(): void;
  actualSize(): void;
  zoomBy(factor: number): void;
  /** Centres the view on an image box, zooming in if it would be smaller than ~1/8 of the view. */
  centreOn(box: Box): void;
  /** Redraws overlay and interaction now (after an edit), so the change is on screen when this returns. */
  drawNow(): void;
  /** Redraws the interaction layer on the next frame (tool preview or status changed). */
  redrawInteraction(): void;
  readonly canvas: CanvasView;
}

interface Props {
  raster: RasterImage;
  window: DisplayWindow;
  session: EditSession | null;
  tool: Tool;
  toolContext(): ToolContext;
  selection: Selection;
  overlay: OverlaySettings;
  pixelSizeUm: number | null;
  hover: Observable<HoverInfo | null>;
  viewport: Observable<Viewport | null>;
  /** Right-click where the tool does not use the right button (client coordinates). */
  onContextMenu(x: number, y: number): void;
  /** A tool saw input (its status line may have changed). */
  onToolInput(): void;
}

function useElementSize(ref: React.RefObject<HTMLDivElement | null>) {
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    setSize({ width: el.clientWidth, height: el.clientHeight });
    return () => ro.disconnect();
  }, [ref]);
  return size;
}

interface Pan {
  x: number;
  y: number;
  vx: number;
  vy: number;
  pointerId: number;
}

export const Viewer = forwardRef<ViewerHandle, Props>(function Viewer(props, ref) {
  const { raster, window: win, session, tool, selection, overlay, hover, viewport, onContextMenu } = props;
  const box = useRef<HTMLDivElement>(null);
  const size = useElementSize(box);
  const cv = useRef<CanvasView>(null as unknown as CanvasView);
  if (!cv.current) cv.current = new CanvasView();
  const canvas = cv.current;
  const imageLayer = useRef<Konva.Layer>(null);
  const overlayLayer = useRef<Konva.Layer>(null);
  const uiLayer = useRef<Konva.Layer>(null);
  const fitted = useRef<RasterImage | null>(null);
  const pan = useRef<Pan | null>(null);
  const space = useRef(false);
  const toolDown = useRef<number | null>(null);
  const lastDown = useRef<{ t: number; x: number; y: number } | null>(null);
  const hoverId = useRef(0);
  const mustBuild = useRef(false);
  const pending = useRef({ image: false, overlay: false, ui: false });
  const frame = useRef(0);
  const [bar, setBar] = useState<{ um: number; px: number } | null>(null);
  const latest = useRef(props);
  latest.current = props;

  const idle = useRef(0);
  // Between frames, build the tiles the next frames will want (so panning finds them ready).
  const prefetch = useCallback(() => {
    if (idle.current) return;
    idle.current = window.setTimeout(() => {
      idle.current = 0;
      if (frame.current) return; // a frame is coming; it reschedules
      if (canvas.prefetch(6)) prefetchRef.current();
    }, 16);
  }, [canvas]);
  const prefetchRef = useRef(prefetch);
  prefetchRef.current = prefetch;

  const flush = useCallback(() => {
    frame.current = 0;
    const p = pending.current;
    pending.current = { image: false, overlay: false, ui: false };
    const t0 = performance.now();
    canvas.beginFrame();
    if (p.image) imageLayer.current?.draw();
    if (p.overlay) overlayLayer.current?.draw();
    if (p.ui) uiLayer.current?.draw();
    recordFrame(performance.now() - t0);
    if (p.image || p.overlay) prefetchRef.current();
  }, []);

  const schedule = useCallback(
    (what: { image?: boolean; overlay?: boolean; ui?: boolean }) => {
      const p = pending.current;
      p.image ||= !!what.image;
      p.overlay ||= !!what.overlay;
      p.ui ||= !!what.ui;
      if (!frame.current) frame.current = requestAnimationFrame(flush);
    },
    [flush],
  );

  useEffect(() => {
    // Also the interaction layer: a large image's highlights are drawn from the label tiles as they come.
    canvas.onNeedFrame = () => schedule({ image: true, overlay: true, ui: true });
    return () => {
      if (frame.current) cancelAnimationFrame(frame.current);
      if (idle.current) clearTimeout(idle.current);
    };
  }, [canvas, schedule]);

  const setView = useCallback(
    (v: Viewport) => {
      canvas.view = v;
      viewport.set(v);
      const b = latest.current.pixelSizeUm ? scaleBar(latest.current.pixelSizeUm, v.scale) : null;
      setBar((old) => (old?.um === b?.um && Math.round(old?.px ?? 0) === Math.round(b?.px ?? 0) ? old : b));
      schedule({ image: true, overlay: true, ui: true });
    },
    [canvas, viewport, schedule],
  );

  const drawNow = useCallback(() => {
    canvas.beginFrame();
    mustBuild.current = true;
    overlayLayer.current?.draw();
    mustBuild.current = false;
    uiLayer.current?.draw();
  }, [canvas]);

  useEffect(() => {
    setBar(props.pixelSizeUm ? scaleBar(props.pixelSizeUm, canvas.view.scale) : null);
  }, [props.pixelSizeUm, canvas]);

  // Image and display window.
  useEffect(() => {
    canvas.setImage(raster, win);
    schedule({ image: true });
  }, [canvas, raster, win, schedule]);

  // The open segmentation: follow its changes tile by tile.
  useEffect(() => {
    canvas.setLabels(session ? session.doc.labels : null, session ? session.doc.segments : null);
    schedule({ overlay: true, ui: true });
    if (!session) return;
    return session.onChange((c) => {
      if (c.all) canvas.setLabels(session.doc.labels, session.doc.segments);
      else if (c.box) canvas.invalidate(c.box);
      else if (c.segments) canvas.restyleClasses();
      selection.retain((id) => session.doc.segments.has(id));
      schedule({ overlay: true, ui: true });
    });
  }, [canvas, session, selection, schedule]);

  useEffect(() => selection.onChange(() => schedule({ ui: true })), [selection, schedule]);

  useEffect(() => {
    canvas.setOverlay(overlay);
    schedule({ overlay: true, ui: true });
  }, [canvas, overlay, schedule]);

  useEffect(() => {
    schedule({ ui: true });
  }, [tool, schedule]);

  useEffect(() => {
    canvas.screenW = size.width;
    canvas.screenH = size.height;
    if (size.width > 0 && fitted.current !== raster) {
      fitted.current = raster;
      setView(fitViewport(raster.width, raster.height, size.width, size.height, 16, FIT_INSET_TOP));
    } else schedule({ image: true, overlay: true, ui: true });
  }, [canvas, raster, size, setView, schedule]);

  const centreOn = useCallback(
    (b: Box) => {
      const v = canvas.view;
      let scale = v.scale;
      const fitScale = Math.min(size.width / Math.max(1, b.width), size.height / Math.max(1, b.height));
      if (b.width * scale < size.width / 8 && b.height * scale < size.height / 8) scale = Math.min(fitScale / 3, Math.max(scale, fitScale / 6));
      if (b.width * scale > size.width * 0.9 || b.height * scale > size.height * 0.9) scale = fitScale * 0.8;
      const cx = b.x + b.width / 2;
      const cy = b.y + b.height / 2;
      setView({ scale, x: size.width / 2 - cx * scale, y: size.height / 2 - cy * scale });
    },
    [canvas, size, setView],
  );

  useImperativeHandle(
    ref,
    () => ({
      fit: () => setView(fitViewport(raster.width, raster.height, size.width, size.height, 16, FIT_INSET_TOP)),
      actualSize: () => setView(actualSize(canvas.view, size.width, size.height)),
      zoomBy: (f: number) => setView(zoomAt(canvas.view, f, size.width / 2, size.height / 2)),
      centreOn,
      drawNow,
      redrawInteraction: () => schedule({ ui: true }),
      canvas,
    }),
    [raster, size, canvas, setView, centreOn, drawNow, schedule],
  );

  useEffect(() => {
    if (!debugHooks) return;
    debugHooks.viewer = {
      canvas,
      setView,
      drawAll: () => {
        canvas.beginFrame();
        imageLayer.current?.draw();
        overlayLayer.current?.draw();
        uiLayer.current?.draw();
      },
      drawNow,
      size: () => ({ ...size }),
    };
  }, [canvas, setView, drawNow, size]);

  // Wheel zoom about the cursor (non-passive so the page does not scroll).
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      setView(zoomAt(canvas.view, wheelZoomFactor(e.deltaY), e.clientX - r.left, e.clientY - r.top));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [canvas, setView]);

  // Space held: the left button pans.
  useEffect(() => {
    const typing = (t: EventTarget | null) => t instanceof HTMLElement && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT');
    const down = (e: KeyboardEvent) => {
      if (e.code === 'Space' && !typing(e.target)) {
        space.current = true;
        if (box.current) box.current.style.cursor = 'grab';
        e.preventDefault();
      }
    };
    const up = (e: KeyboardEvent) => {
      if (e.code === 'Space') {
        space.current = false;
        if (box.current) box.current.style.cursor = '';
      }
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
    };
  }, []);

  const input = (e: React.PointerEvent<HTMLDivElement>, double = false): PointerInput => {
    const r = box.current!.getBoundingClientRect();
    const q = screenToImage(canvas.view, e.clientX - r.left, e.clientY - r.top);
    return { x: q.x, y: q.y, button: e.button, shift: e.shiftKey, alt: e.altKey, ctrl: e.ctrlKey || e.metaKey, pixelSize: 1 / canvas.view.scale, ...(double ? { double: true } : {}) };
  };

  const updateHover = (p: PointerInput) => {
    const x = Math.floor(p.x);
    const y = Math.floor(p.y);
    const inside = x >= 0 && y >= 0 && x < raster.width && y < raster.height;
    const doc = latest.current.session?.doc;
    // A large image: the id from the label tiles fetched for the view (remote-tiles.ts).
    const remote = canvas.isRemote;
    const id = !inside ? 0 : remote ? (canvas.remoteLabelAt(x, y) ?? 0) : doc && doc.width === raster.width ? doc.labelAt(x, y) : 0;
    const old = hover.get();
    if (!inside) {
      if (old) hover.set(null);
    } else if (!old || old.x !== x || old.y !== y || old.segmentId !== id) hover.set({ x, y, value: remote ? null : valueAt(raster, x, y), segmentId: id });
    if (id !== hoverId.current) {
      hoverId.current = id;
      schedule({ ui: true });
    }
  };

  const afterTool = () => {
    schedule({ ui: true });
    latest.current.onToolInput();
  };

  const onPointerDown = (e: React.PointerEvent<HTMLDivElement>) => {
    const el = box.current!;
    el.focus({ preventScroll: true });
    if (e.button === 1 || (e.button === 0 && space.current)) {
      e.preventDefault();
      pan.current = { x: e.clientX, y: e.clientY, vx: canvas.view.x, vy: canvas.view.y, pointerId: e.pointerId };
      el.setPointerCapture(e.pointerId);
      el.style.cursor = 'grabbing';
      return;
    }
    if (e.button === 2 && !tool.usesRightButton) return;
    if (e.button !== 0 && e.button !== 2) return;
    const now = performance.now();
    const prev = lastDown.current;
    const double = !!prev && now - prev.t < 350 && Math.hypot(prev.x - e.clientX, prev.y - e.clientY) < 5;
    lastDown.current = { t: now, x: e.clientX, y: e.clientY };
    toolDown.current = e.pointerId;
    el.setPointerCapture(e.pointerId);
    tool.onPointerDown(input(e, double), latest.current.toolContext());
    afterTool();
  };

  const onPointerMove = (e: React.PointerEvent<HTMLDivElement>) => {
    const p = pan.current;
    if (p && p.pointerId === e.pointerId) {
      setView({ ...canvas.view, x: p.vx + e.clientX - p.x, y: p.vy + e.clientY - p.y });
      return;
    }
    const q = input(e);
    updateHover(q);
    // Every move, pressed or not: tools show cursors and hover previews.
    tool.onPointerMove(q, latest.current.toolContext());
    if (tool.busy || tool.id !== 'select') schedule({ ui: true });
  };

  const onPointerUp = (e: React.PointerEvent<HTMLDivElement>) => {
    const el = box.current!;
    if (pan.current && pan.current.pointerId === e.pointerId) {
      pan.current = null;
      el.releasePointerCapture(e.pointerId);
      el.style.cursor = space.current ? 'grab' : '';
      return;
    }
    if (toolDown.current !== e.pointerId) return;
    toolDown.current = null;
    if (el.hasPointerCapture(e.pointerId)) el.releasePointerCapture(e.pointerId);
    markInput(e.timeStamp);
    tool.onPointerUp(input(e), latest.current.toolContext());
    afterTool();
  };

  const onPointerLeave = () => {
    if (hover.get()) hover.set(null);
    if (hoverId.current) {
      hoverId.current = 0;
      schedule({ ui: true });
    }
  };

  const scene = () => ({ selection: selection.ids, hover: hoverId.current, preview: latest.current.tool.preview() });

  return (
    <div
      className={`viewer tool-${tool.id}`}
      ref={box}
      tabIndex={-1}
      data-testid="viewer"
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onPointerLeave={onPointerLeave}
      onContextMenu={(e) => {
        e.preventDefault();
        if (!tool.usesRightButton) onContextMenu(e.clientX, e.clientY);
      }}
    >
      {size.width > 0 && (
        <Stage width={size.width} height={size.height} listening={false}>
          <Layer ref={imageLayer} listening={false}>
            <Shape listening={false} sceneFunc={(ctx) => canvas.drawImageLayer(ctx._context)} />
          </Layer>
          <Layer ref={overlayLayer} listening={false} visible={overlay.visible}>
            <Shape listening={false} sceneFunc={(ctx) => canvas.drawOverlayLayer(ctx._context, mustBuild.current)} />
          </Layer>
          <Layer ref={uiLayer} listening={false}>
            <Shape listening={false} sceneFunc={(ctx) => canvas.drawInteraction(ctx._context, scene())} />
          </Layer>
          {bar && (
            <Layer listening={false}>
              <Rect x={16} y={size.height - 34} width={bar.px} height={5} fill="#fff" stroke="#000" strokeWidth={1} />
              <Text x={16} y={size.height - 26} text={`${bar.um >= 1000 ? `${bar.um / 1000} mm` : `${bar.um} µm`}`} fill="#fff" fontSize={12} shadowColor="#000" shadowBlur={2} />
            </Layer>
          )}
        </Stage>
      )}
    </div>
  );
});
