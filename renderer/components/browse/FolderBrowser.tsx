// Web mode's folder browser: the server's folders inside the roots it was started with (the home
// folder by default; `--roots`), listed by fs.list. Three uses: open a project (folders holding
// one are marked), choose the folder for a new project, or tick image files to import. Electron
// keeps its native dialogs and never shows this.
import { useCallback, useEffect, useState } from 'react';
import type { FolderListing } from '../../../app/contract';
import { getClient } from '../../client';
import { Modal, errorText } from '../export/Modal';
import '../export/export.css';
import '../shortcuts/shortcuts.css';

export type BrowseMode = 'open-project' | 'new-project' | 'images';

const TITLE: Record<BrowseMode, string> = { 'open-project': 'Open a project', 'new-project': 'Folder for the new project', images: 'Import images from the server' };

interface Props {
  mode: BrowseMode;
  /** Open: the project folder. New: the chosen folder (joined with the new name). Images: the ticked files. */
  onChoose(paths: string[]): void;
  onClose(): void;
  /** Where to start (a folder inside the roots); the folder last listed, else the first root, otherwise. */
  start?: string;
}

/** The folder last listed in this page, where the next browsing starts. */
let lastFolder: string | undefined;

export function FolderBrowser({ mode, onChoose, onClose, start }: Props) {
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ticked, setTicked] = useState<Set<string>>(new Set());
  const [newName, setNewName] = useState('');
  const go = useCallback((path?: string, orFirstRoot = false) => {
    getClient()
      .call('fs.list', path ? { path } : {})
      .then((l) => {
        setListing(l);
        lastFolder = l.path;
        setError(null);
        setTicked(new Set());
      })
      .catch((e: unknown) => (orFirstRoot && path ? go() : setError(errorText(e))));
  }, []);
  // A start outside the roots (a project elsewhere) falls back to the first root.
  useEffect(() => go(start ?? lastFolder, true), [go, start]);

  const images = listing?.entries.filter((e) => e.image) ?? [];
  const shown = listing?.entries.filter((e) => e.kind === 'folder' || (mode === 'images' && e.image)) ?? [];
  const sep = listing?.path.includes('\\') && !listing.path.includes('/') ? '\\' : '/';
  const name = newName.trim();
  const badName = name !== '' && (/[\\/]/.test(name) || name === '.' || name === '..');

  return (
    <Modal title={TITLE[mode]} onClose={onClose} testId="folder-browser">
      <div className="browse-bar">
        {listing && listing.roots.length > 1 && (
          <select value={listing.roots.find((r) => listing.path === r || listing.path.startsWith(r + sep)) ?? ''} onChange={(e) => go(e.target.value)} data-testid="browse-root" title="Folders this server may show">
            {listing.roots.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        )}
        <button className="small" disabled={!listing?.parent} onClick={() => listing?.parent && go(listing.parent)} data-testid="browse-up" title="The folder above">
          ↑ Up
        </button>
        <code className="browse-path" data-testid="browse-path" title={listing?.path}>
          {listing?.path ?? '…'}
        </code>
      </div>
      {error && (
        <p className="browse-error" role="alert" data-testid="browse-error">
          {error}
        </p>
      )}
      <ul className="browse-list" data-testid="browse-list">
        {shown.length === 0 && listing && <li className="muted">{mode === 'images' ? 'No folders or images here.' : 'No folders here.'}</li>}
        {shown.map((e) =>
          e.kind === 'folder' ? (
            <li key={e.path}>
              <button className="link browse-folder" onClick={() => go(e.path)} data-testid={`browse-entry-${e.name}`} title={e.path}>
                ▸ {e.name}
              </button>
              {e.project && <span className="browse-badge">project</span>}
              {e.project && mode === 'open-project' && (
                <button className="small" onClick={() => onChoose([e.path])} data-testid={`browse-open-${e.name}`}>
                  Open
                </button>
              )}
            </li>
          ) : (
            <li key={e.path}>
              <label>
                <input type="checkbox" checked={ticked.has(e.path)} onChange={(ev) => setTicked((t) => { const n = new Set(t); if (ev.target.checked) n.add(e.path); else n.delete(e.path); return n; })} data-testid={`browse-file-${e.name}`} /> {e.name}
              </label>
            </li>
          ),
        )}
      </ul>
      {listing?.truncated && <p className="muted small-text">Only the first {listing.entries.length} entries are listed.</p>}
      <div className="gl-row browse-actions">
        {mode === 'open-project' && (
          <button className="primary small" disabled={!listing?.project} onClick={() => listing && onChoose([listing.path])} data-testid="browse-choose" title={listing?.project ? 'Open the project in this folder' : 'This folder holds no project (project.sqlite)'}>
            Open this project
          </button>
        )}
        {mode === 'new-project' && (
          <>
            <input placeholder="new folder name (optional)" value={newName} onChange={(e) => setNewName(e.target.value)} data-testid="browse-new-name" spellCheck={false} />
            <button className="primary small" disabled={!listing || badName || (name === '' && (listing.entries.length > 0 || listing.project))} onClick={() => listing && onChoose([name ? `${listing.path}${listing.path.endsWith(sep) ? '' : sep}${name}` : listing.path])} data-testid="browse-choose" title="A project needs a new or empty folder">
              {name ? `Use ${name} here` : 'Use this folder'}
            </button>
          </>
        )}
        {mode === 'images' && (
          <>
            <button className="small" disabled={images.length === 0} onClick={() => setTicked(new Set(images.map((e) => e.path)))} data-testid="browse-all">
              All images here ({images.length})
            </button>
            <button className="primary small" disabled={ticked.size === 0} onClick={() => onChoose([...ticked])} data-testid="browse-choose">
              Import {ticked.size || ''} image{ticked.size === 1 ? '' : 's'}
            </button>
          </>
        )}
        <span className="spacer" />
        <button className="small" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}
