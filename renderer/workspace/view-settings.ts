// How the workspace shows things: overlay switches, the side panel's tab and area threshold, the
// help overlay, the class manager and the context menu.
import { useMemo, useState } from 'react';
import type { ClassRecord, SegmentRecord } from '../../app/types';
import type { SidePanelTab } from '../components/SidePanel';
import type { OverlaySettings } from '../viewer/canvas-view';
import { clusterColours, type Clusters } from './clusters';

/** The "Only predicted" overlay filter: segments whose class the classifier gave. */
const onlyPredictedTest = (s: SegmentRecord) => s.classSource === 'classifier' && s.classId !== null;

export function useViewSettings() {
  const [overlayVisible, setOverlayVisible] = useState(true);
  const [opacity, setOpacity] = useState(0.45);
  const [outlinesOnly, setOutlinesOnly] = useState(false);
  const [colourByClass, setColourByClass] = useState(false);
  const [onlyPredicted, setOnlyPredicted] = useState(false);
  const [panelTab, setPanelTab] = useState<SidePanelTab>('edit');
  const [minArea, setMinArea] = useState(50);
  const [helpOpen, setHelpOpen] = useState(false);
  const [classManager, setClassManager] = useState(false);
  const [menu, setMenu] = useState<{ x: number; y: number } | null>(null);
  return { overlayVisible, setOverlayVisible, opacity, setOpacity, outlinesOnly, setOutlinesOnly, colourByClass, setColourByClass, onlyPredicted, setOnlyPredicted, panelTab, setPanelTab, minArea, setMinArea, helpOpen, setHelpOpen, classManager, setClassManager, menu, setMenu };
}

export type ViewSettings = ReturnType<typeof useViewSettings>;

/** What the canvas overlay draws, from the view settings, classes and the clustering. */
export function useOverlaySettings(v: ViewSettings, classes: ClassRecord[], clusters: Clusters): OverlaySettings {
  const { overlayVisible, opacity, outlinesOnly, colourByClass, onlyPredicted } = v;
  const colourByCluster = clusters.colour;
  const open = clusters.open;
  return useMemo(
    () => ({
      visible: overlayVisible,
      opacity,
      outlinesOnly,
      classColours: colourByClass ? new Map(classes.map((c) => [c.id, c.color])) : null,
      groupColours: colourByCluster && open ? clusterColours(open) : null,
      showOnly: onlyPredicted ? onlyPredictedTest : null,
    }),
    [overlayVisible, opacity, outlinesOnly, colourByClass, classes, colourByCluster, open, onlyPredicted],
  );
}
