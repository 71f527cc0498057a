// The keys in force for this person: the platform's defaults (web mode swaps the keys the browser
// owns) and their rebinds, kept in this browser profile's localStorage (per user, not in the
// project). installKeymap() runs once at start; useKeymap() re-renders on a rebind.
import { useEffect, useState } from 'react';
import { ACTIONS, currentKeymap, onKeymapChange, setKeymap } from '../actions/registry';
import { Keymap, type KeyPlatform } from '../actions/keymap';

const SHORTCUTS_STORAGE_KEY = 'grainlab.shortcuts';

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** Electron when the preload is there, else web mode. */
function platform(): KeyPlatform {
  return typeof window !== 'undefined' && window.grainlab ? 'electron' : 'web';
}

/** The platform's keymap with the stored rebinds (a damaged entry is ignored). */
export function installKeymap(): void {
  let stored: unknown = null;
  try {
    stored = JSON.parse(storage()?.getItem(SHORTCUTS_STORAGE_KEY) ?? 'null');
  } catch {
    stored = null;
  }
  setKeymap(Keymap.load(ACTIONS, platform(), stored));
}

/** Installs and stores a keymap (after a rebind or a reset). */
export function saveKeymap(next: Keymap): void {
  setKeymap(next);
  try {
    const s = storage();
    if (Object.keys(next.overrides).length === 0) s?.removeItem(SHORTCUTS_STORAGE_KEY);
    else s?.setItem(SHORTCUTS_STORAGE_KEY, JSON.stringify(next.overrides));
  } catch {
    // Storage full or off: the keys still work for this session.
  }
}

export function useKeymap(): Keymap {
  const [map, setMap] = useState(currentKeymap);
  useEffect(() => onKeymapChange(() => setMap(currentKeymap())), []);
  return map;
}
