// The Channels section of the side panel (Edit tab): elemental maps of the open image as coloured
// overlays (visibility, colour, opacity per map), adding maps, and their registration — estimated,
// typed, or solved from two point pairs: picked by clicking on the canvas (Pick points: the image
// with the maps hidden, then the map drawn alone, twice) or typed (the cursor's position on the
// image and on the map is shown to read them off the canvas).
import { useEffect, useRef, useState, useSyncExternalStore, type RefObject } from 'react';
import type { ChannelDisplay, ChannelRecord, GrainLabClient } from '../../../app/contract';
import { imageToMap } from '../../../app/channels/registration';
import { addPick, NO_PICKS, pairsOf, pickPrompt, pickStep, type Picks } from '../../../app/channels/pick';
import type { Observable } from '../../editor/observable';
import type { HoverInfo, ViewerHandle } from '../Viewer';
import { tintedBitmap, type ChannelLayer } from '../../viewer/channel-overlay';
import { PairsForm, RegistrationForm } from './RegistrationForms';
import './channels.css';

interface Props {
  client: GrainLabClient;
  imageId: number;
  viewer: RefObject<ViewerHandle | null>;
  hover: Observable<HoverInfo | null>;
  readOnly: boolean;
  onError(e: unknown): void;
}

export function ChannelsPanel({ client, imageId, viewer, hover, readOnly, onError }: Props) {
  const [channels, setChannels] = useState<ChannelRecord[]>([]);
  const [busy, setBusy] = useState(false);
  const displays = useRef(new Map<number, ChannelDisplay>());
  const bitmaps = useRef(new Map<string, HTMLCanvasElement>());
  const saveTimer = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  const [loaded, setLoaded] = useState(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const h = useSyncExternalStore(hover.subscribe, hover.get);
  /** Pick points mode: the clicks so far, or null when not picking. */
  const [picks, setPicks] = useState<Picks | null>(null);

  useEffect(() => {
    let live = true;
    displays.current.clear();
    bitmaps.current.clear();
    setChannels([]);
    setPicks(null);
    client
      .call('channels.list', { imageId })
      .then((list) => live && setChannels(list))
      .catch(onError);
    return () => {
      live = false;
      const canvas = viewer.current?.canvas;
      if (canvas) {
        canvas.channelLayers = [];
        canvas.onNeedFrame();
      }
    };
  }, [client, imageId, viewer, onError]);

  // Display pixels of maps not fetched yet.
  useEffect(() => {
    let live = true;
    const missing = channels.filter((c) => !displays.current.has(c.id));
    if (missing.length === 0) return;
    void Promise.all(missing.map((c) => client.call('channels.display', { id: c.id }).then((d) => displays.current.set(c.id, d))))
      .then(() => live && setLoaded((n) => n + 1))
      .catch(onError);
    return () => {
      live = false;
    };
  }, [client, channels, onError]);

  // The layers the canvas draws under the segment overlay.
  useEffect(() => {
    const canvas = viewer.current?.canvas;
    if (!canvas) return;
    const layers: ChannelLayer[] = [];
    // Picking: the image alone for an image point, the first map alone (opaque) for a map point.
    const picking = picks ? pickStep(picks).step : null;
    for (const c of picking ? (picking === 'map' ? channels.slice(0, 1) : []) : channels) {
      const d = displays.current.get(c.id);
      if ((!c.visible && !picking) || !d) continue;
      const key = `${c.id}:${c.color}`;
      let bmp = bitmaps.current.get(key);
      if (!bmp) bitmaps.current.set(key, (bmp = tintedBitmap(d, c.color)));
      layers.push({ id: c.id, bitmap: bmp, registration: c.registration, opacity: picking ? 1 : c.opacity });
    }
    canvas.channelLayers = layers;
    canvas.onNeedFrame();
  }, [channels, loaded, viewer, picks]);

  const local = (id: number, patch: Partial<ChannelRecord>) => setChannels((list) => list.map((c) => (c.id === id ? { ...c, ...patch } : c)));
  const persist = (id: number, patch: { opacity?: number; visible?: boolean; color?: string }, delay = 0) => {
    local(id, patch);
    // A read-only project changes the view only.
    if (readOnly) return;
    clearTimeout(saveTimer.current.get(id));
    saveTimer.current.set(id, setTimeout(() => void client.call('channels.update', { id, ...patch }).catch(onError), delay));
  };
  const run = async (f: () => Promise<ChannelRecord[] | void>) => {
    setBusy(true);
    try {
      const list = await f();
      if (list) setChannels(list);
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };
  const addFiles = (files: FileList | null) => {
    if (!files?.length) return;
    void run(async () => {
      const loadedFiles = await Promise.all([...files].map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      const r = await client.call('channels.importFiles', { imageId, files: loadedFiles });
      for (const f of r.failed) onError(new Error(f.message));
      return client.call('channels.list', { imageId });
    });
  };
  const first = channels[0] ?? null;

  // Pick points: a left click on the viewer is taken (before any tool sees it) as the next point,
  // at the pixel under the cursor; Escape stops picking. The fourth click solves and saves.
  useEffect(() => {
    if (!picks || !first) return;
    const onDown = (e: PointerEvent) => {
      const viewerEl = document.querySelector('[data-testid="viewer"]');
      if (e.button !== 0 || !viewerEl || !(e.target instanceof Node) || !viewerEl.contains(e.target)) return;
      const at = hover.get();
      if (!at) return;
      e.stopPropagation();
      e.preventDefault();
      const next = addPick(picks, { x: at.x + 0.5, y: at.y + 0.5 }, first.registration);
      const pairs = pairsOf(next);
      if (!pairs) return setPicks(next);
      setPicks(null);
      void run(() => client.call('channels.register', { imageId, pairs }));
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setPicks(null);
    };
    window.addEventListener('pointerdown', onDown, true);
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('pointerdown', onDown, true);
      window.removeEventListener('keydown', onKey);
    };
  });
  const onMap = first && h ? imageToMap(first.registration, h.x + 0.5, h.y + 0.5) : null;

  return (
    <section data-testid="channels-panel">
      <h3>Channels</h3>
      {channels.length === 0 ? <p className="hint-text">Elemental maps (EDS): one PNG/TIFF per element or a multi-page TIFF, registered onto this image.</p> : null}
      <ul className="channel-list">
        {channels.map((c) => (
          <li key={c.id} className="channel-row" data-testid={`channel-${c.element}`}>
            <label className="inline" title={`${c.name}: ${c.width}×${c.height} px`}>
              <input type="checkbox" checked={c.visible} onChange={(e) => persist(c.id, { visible: e.target.checked })} data-testid={`channel-visible-${c.element}`} />
              <input type="color" value={c.color} disabled={readOnly} onChange={(e) => persist(c.id, { color: e.target.value }, 200)} aria-label={`${c.element} colour`} />
              <span className="channel-element">{c.element}</span>
            </label>
            <input type="range" min={0} max={1} step={0.05} value={c.opacity} onChange={(e) => persist(c.id, { opacity: Number(e.target.value) }, 300)} aria-label={`${c.element} opacity`} data-testid={`channel-opacity-${c.element}`} />
            <span className="muted small-text">{Math.round(c.opacity * 100)}%</span>
            <button className="small" disabled={readOnly || busy} title={`Remove the ${c.element} map`} onClick={() => void run(async () => {
              await client.call('channels.remove', { ids: [c.id] });
              return client.call('channels.list', { imageId });
            })}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <div className="channel-actions">
        <button className="small" disabled={readOnly || busy} onClick={() => fileInput.current?.click()} title="Add elemental maps (PNG or TIFF, one per element, or a multi-page TIFF; the element comes from the file name)">
          Add maps…
        </button>
        <input ref={fileInput} type="file" multiple accept=".png,.tif,.tiff,image/png,image/tiff" hidden onChange={(e) => { addFiles(e.target.files); e.target.value = ''; }} data-testid="channels-add" />
        {first && (
          <button className="small" disabled={readOnly || busy} onClick={() => void run(() => client.call('channels.register', { imageId, estimate: true }))} title="Find scale and shift by correlating the maps with the image" data-testid="channels-estimate">
            Auto-register
          </button>
        )}
        {first && (
          <button className="small" disabled={readOnly || busy || picks !== null} onClick={() => setPicks(NO_PICKS)} title="Register by clicking: a feature on the image, then the same feature on the map, twice (Esc stops)" data-testid="channels-pick">
            Pick points
          </button>
        )}
      </div>
      {picks && first && (
        <p className="hint-text" data-testid="channels-pick-prompt">
          {pickPrompt(picks, first.element)}{' '}
          <button className="small" onClick={() => setPicks(null)} data-testid="channels-pick-cancel">
            Cancel
          </button>
        </p>
      )}
      {first && (
        <>
          <p className="muted small-text" data-testid="channels-registration">
            scale {first.registration.sx.toFixed(2)} × {first.registration.sy.toFixed(2)}, shift {first.registration.tx.toFixed(1)}, {first.registration.ty.toFixed(1)} px ·{' '}
            {first.registeredBy === 'estimate' ? `estimated (match ${(first.score ?? 0).toFixed(2)})` : first.registeredBy === 'size' ? 'scale from the sizes only' : first.registeredBy === 'points' ? 'from two point pairs' : 'typed'}
            {onMap && h ? ` · cursor: image ${h.x}, ${h.y} = map ${onMap.x.toFixed(1)}, ${onMap.y.toFixed(1)}` : ''}
          </p>
          <RegistrationForm key={`${first.id}:${JSON.stringify(first.registration)}`} registration={first.registration} disabled={readOnly || busy} onApply={(registration) => void run(() => client.call('channels.register', { imageId, registration }))} />
          <PairsForm disabled={readOnly || busy} onSolve={(pairs) => void run(() => client.call('channels.register', { imageId, pairs }))} />
        </>
      )}
    </section>
  );
}
