// The start screen: create a project in a folder, open one, or pick a recent one.
import { useEffect, useState } from 'react';
import { getClient, isWebMode } from '../client';
import type { ProjectInfo } from '../../app/types';
import { FolderBrowser, type BrowseMode } from './browse/FolderBrowser';

export function ProjectScreen({ onOpened, onError }: { onOpened(p: ProjectInfo): void; onError(e: unknown): void }) {
  const [createPath, setCreatePath] = useState('');
  const [name, setName] = useState('');
  const [openPath, setOpenPath] = useState('');
  const [recent, setRecent] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  // Web mode: the server's folders, browsed (Electron's folders are typed or pasted from its own dialogs).
  const [browsing, setBrowsing] = useState<BrowseMode | null>(null);
  useEffect(() => {
    getClient().call('project.recent', {}).then(setRecent, onError);
  }, [onError]);

  const run = async (fn: () => Promise<ProjectInfo>) => {
    setBusy(true);
    try {
      onOpened(await fn());
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="start">
      <div className="start-card">
        <h1>GrainLab</h1>
        <p className="muted">Segment micrographs, correct them by hand, export curated training data and measurements.</p>
        <form
          className="start-section"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => getClient().call('project.create', { path: createPath.trim(), ...(name.trim() ? { name: name.trim() } : {}) }));
          }}
        >
          <h2>New project</h2>
          <label>
            Folder (new or empty)
            <input data-testid="create-path" value={createPath} onChange={(e) => setCreatePath(e.target.value)} placeholder="/home/me/micrographs/steel-2026" spellCheck={false} />
          </label>
          {isWebMode() && (
            <button type="button" className="small" onClick={() => setBrowsing('new-project')} data-testid="browse-create">
              Browse…
            </button>
          )}
          <label>
            Name (optional)
            <input data-testid="create-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Steel batch A" />
          </label>
          <button type="submit" className="primary" disabled={busy || !createPath.trim()} data-testid="create-project">
            Create project
          </button>
        </form>
        <form
          className="start-section"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => getClient().call('project.open', { path: openPath.trim() }));
          }}
        >
          <h2>Open project</h2>
          <label>
            Project folder
            <input data-testid="open-path" value={openPath} onChange={(e) => setOpenPath(e.target.value)} placeholder="folder containing project.sqlite" spellCheck={false} />
          </label>
          {isWebMode() && (
            <button type="button" className="small" onClick={() => setBrowsing('open-project')} data-testid="browse-open">
              Browse…
            </button>
          )}
          <button type="submit" disabled={busy || !openPath.trim()} data-testid="open-project">
            Open
          </button>
        </form>
        {recent.length > 0 && (
          <div className="start-section">
            <h2>Recent</h2>
            <ul className="recent">
              {recent.map((p) => (
                <li key={p}>
                  <button className="link" disabled={busy} onClick={() => void run(() => getClient().call('project.open', { path: p }))}>
                    {p}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
      {browsing && (
        <FolderBrowser
          mode={browsing}
          onClose={() => setBrowsing(null)}
          onChoose={([p]) => {
            setBrowsing(null);
            if (!p) return;
            if (browsing === 'new-project') setCreatePath(p);
            else void run(() => getClient().call('project.open', { path: p }));
          }}
        />
      )}
    </div>
  );
}
