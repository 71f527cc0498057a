// The micrograph canvas: image layer, overlay layer (fills + outlines), zoom to cursor, pan,
// fit and 1:1. Hit-testing reads the label map, not Konva's hit canvas.
import { useEffect, useMemo, useRef, useState, useCallback, forwardRef, useImperativeHandle } from 'react';
import { Stage, Layer, Image as KonvaImage, Rect, Text, Group } from 'react-konva';
import type Konva from 'konva';
import type { RasterImage } from '../../app/types';
import { toDisplayRGBA, valueAt, type DisplayWindow } from '../../app/image/display';
import { fitViewport, actualSize, zoomAt, wheelZoomFactor, screenToImage, scaleBar, type Viewport } from '../../app/view/viewport';
import { renderOverlay } from '../viewer/overlay';

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
}

interface Props {
  raster: RasterImage;
  window: DisplayWindow;
  labels: { data: Uint32Array; width: number; height: number } | null;
  overlayVisible: boolean;
  opacity: number;
  pixelSizeUm: number | null;
  onHover(info: HoverInfo | null): void;
  onViewport(v: Viewport): void;
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

export const Viewer = forwardRef<ViewerHandle, Props>(function Viewer(props, ref) {
  const { raster, window: win, labels, overlayVisible, opacity, pixelSizeUm, onHover, onViewport } = props;
  const box = useRef<HTMLDivElement>(null);
  const size = useElementSize(box);
  const [view, setView] = useState<Viewport>({ scale: 1, x: 0, y: 0 });
  const fitted = useRef<RasterImage | null>(null);
  const drag = useRef<{ x: number; y: number; vx: number; vy: number } | null>(null);

  const imageCanvas = useMemo(() => {
    const c = document.createElement('canvas');
    c.width = raster.width;
    c.height = raster.height;
    const rgba = toDisplayRGBA(raster, win);
    c.getContext('2d')!.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, raster.width, raster.height), 0, 0);
    return c;
  }, [raster, win]);

  const overlay = useMemo(() => (labels ? renderOverlay(labels.data, labels.width, labels.height) : null), [labels]);

  const update = useCallback(
    (v: Viewport) => {
      setView(v);
      onViewport(v);
    },
    [onViewport],
  );

  // Fit each newly opened image once the view has a size.
  useEffect(() => {
    if (size.width > 0 && fitted.current !== raster) {
      fitted.current = raster;
      update(fitViewport(raster.width, raster.height, size.width, size.height));
    }
  }, [raster, size, update]);

  useImperativeHandle(ref, () => ({
    fit: () => update(fitViewport(raster.width, raster.height, size.width, size.height)),
    actualSize: () => update(actualSize(view, size.width, size.height)),
    zoomBy: (f: number) => update(zoomAt(view, f, size.width / 2, size.height / 2)),
  }), [raster, size, view, update]);

  const onWheel = (e: Konva.KonvaEventObject<WheelEvent>) => {
    e.evt.preventDefault();
    const p = e.target.getStage()!.getPointerPosition();
    if (!p) return;
    update(zoomAt(view, wheelZoomFactor(e.evt.deltaY), p.x, p.y));
  };

  const hover = (stage: Konva.Stage | null) => {
    const p = stage?.getPointerPosition();
    if (!p) return onHover(null);
    const q = screenToImage(view, p.x, p.y);
    const x = Math.floor(q.x);
    const y = Math.floor(q.y);
    if (x < 0 || y < 0 || x >= raster.width || y >= raster.height) return onHover(null);
    const segmentId = labels && labels.width === raster.width ? labels.data[y * labels.width + x]! : 0;
    onHover({ x, y, value: valueAt(raster, x, y), segmentId });
  };

  const onMouseDown = (e: Konva.KonvaEventObject<MouseEvent>) => {
    if (e.evt.button !== 0 && e.evt.button !== 1) return;
    drag.current = { x: e.evt.clientX, y: e.evt.clientY, vx: view.x, vy: view.y };
  };
  const onMouseMove = (e: Konva.KonvaEventObject<MouseEvent>) => {
    if (drag.current) {
      const d = drag.current;
      update({ ...view, x: d.vx + e.evt.clientX - d.x, y: d.vy + e.evt.clientY - d.y });
    }
    hover(e.target.getStage());
  };
  const endDrag = () => {
    drag.current = null;
  };

  const smooth = view.scale < 1;
  const bar = pixelSizeUm ? scaleBar(pixelSizeUm, view.scale) : null;

  return (
    <div className="viewer" ref={box} data-testid="viewer" onContextMenu={(e) => e.preventDefault()}>
      {size.width > 0 && (
        <Stage
          width={size.width}
          height={size.height}
          onWheel={onWheel}
          onMouseDown={onMouseDown}
          onMouseMove={onMouseMove}
          onMouseUp={endDrag}
          onMouseLeave={() => {
            endDrag();
            onHover(null);
          }}
          style={{ cursor: drag.current ? 'grabbing' : 'crosshair' }}
        >
          <Layer listening={false} imageSmoothingEnabled={smooth}>
            <KonvaImage image={imageCanvas} x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale} />
          </Layer>
          <Layer listening={false} imageSmoothingEnabled={false} visible={overlayVisible && overlay !== null}>
            {overlay && (
              <Group x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
                <KonvaImage image={overlay.fills} opacity={opacity} />
                <KonvaImage image={overlay.outlines} opacity={Math.min(1, 0.35 + opacity)} />
              </Group>
            )}
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
