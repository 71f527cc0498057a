// The workspace's top bar: project name (and read-only badge), Import…, segmentation mode and the
// Segment split button, export tools, the SAM model badge and Close.
import { useRef, useState, type ReactNode } from 'react';
import { isWebMode } from '../../client';
import { FolderBrowser } from '../browse/FolderBrowser';
import type { ProjectInfo } from '../../../app/types';
import { openModels } from '../../actions/models';
import { isEnabled, keyHint, menuActions, runAction, type ActionContext } from '../../actions/registry';
import { ExportTools } from '../export/ExportTools';
import { MenuButton } from '../MenuButton';
import type { Images } from '../../workspace/images';
import type { Jobs } from '../../workspace/jobs';
import type { SamPrompting } from '../../workspace/sam';

const ACCEPT = '.png,.jpg,.jpeg,.tif,.tiff,image/png,image/jpeg,image/tiff';

interface Props {
  project: ProjectInfo;
  images: Images;
  jobs: Jobs;
  sam: SamPrompting;
  actions: ActionContext;
  onImport(files: File[]): void;
  /** Web mode: import files on the server, chosen in the folder browser. */
  onImportPaths?(paths: string[]): void;
  onClose(): void;
  onError(e: unknown): void;
  /** More import buttons after Import… (Import stack…). */
  extra?: ReactNode;
}

export function Toolbar({ project, images, jobs, sam, actions, onImport, onImportPaths, onClose, onError, extra }: Props) {
  const fileInput = useRef<HTMLInputElement>(null);
  const [browsing, setBrowsing] = useState(false);
  const { selected, chosen } = images;
  const all = images.images;
  const { running, mode, invert } = jobs;
  const samStatus = sam.status;
  return (
    <header className="toolbar">
      <span className="brand">GrainLab</span>
      <span className="project-name" title={project.path} data-testid="project-name">
        {project.name}
      </span>
      {project.readOnly && (
        <span className="readonly-badge" data-testid="read-only" title="This project's disk or folder cannot be written. You can view, measure and export it to another folder; copy the project to a writable disk to edit it.">
          Read-only
        </span>
      )}
      <button disabled={project.readOnly} onClick={() => fileInput.current?.click()} data-testid="import-button" title="Import PNG, JPEG or TIFF files (or drop them on the window)">
        Import…
      </button>
      {onImportPaths && isWebMode() && (
        <button disabled={project.readOnly} onClick={() => setBrowsing(true)} data-testid="import-server" title="Import images that are on the server, from its folders">
          From server…
        </button>
      )}
      {browsing && onImportPaths && (
        <FolderBrowser
          mode="images"
          onClose={() => setBrowsing(false)}
          onChoose={(paths) => {
            setBrowsing(false);
            onImportPaths(paths);
          }}
        />
      )}
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
          onImport(files);
        }}
      />
      {extra}
      <span className="sep" />
      <label className="inline" title="Phase: threshold regions. Grain: grains split along boundaries.">
        Mode
        <select value={mode} onChange={(e) => jobs.setMode(e.target.value as 'phase' | 'grain')} data-testid="mode">
          <option value="phase">Phase</option>
          <option value="grain">Grain</option>
        </select>
      </label>
      <label className="inline" title="Foreground is the darker side of the threshold">
        <input type="checkbox" checked={invert} onChange={(e) => jobs.setInvert(e.target.checked)} /> Dark objects
      </label>
      <span className="split-button">
        <button className="primary" disabled={selected === null || running || project.readOnly} onClick={() => selected !== null && void jobs.segment([selected])} data-testid="segment-button" title={`Auto-segment this image${keyHint('image.segment')}`}>
          Segment
        </button>
        <MenuButton
          label="▾"
          title="More ways to segment"
          testId="segment-menu"
          disabled={all.length === 0}
          items={menuActions('segment').map((a) => ({
            label: a.caption?.(actions) ?? a.label,
            ...(a.title ? { title: a.title } : {}),
            disabled: !isEnabled(a, actions),
            ...(a.testId ? { testId: a.testId } : {}),
            run: () => runAction(a, actions),
          }))}
        />
      </span>
      <span className="sep" />
      <ExportTools images={all} selected={selected} chosen={chosen} onChanged={() => void images.refresh().catch(onError)} />
      <span className="spacer" />
      {samStatus && samStatus.active === null && (
        <button className="link hint" title={`${samStatus.hint} (opens Models…)`} onClick={() => runAction(openModels, actions)} data-testid="sam-none">
          No SAM model
        </button>
      )}
      {samStatus?.active && (
        <button className="engine-badge" data-testid="sam-badge" onClick={() => runAction(openModels, actions)} title={`${samStatus.provider?.reason ?? 'The execution provider is chosen when the model first loads (npx grainlab doctor tells it now).'} Click: Models…`}>
          SAM {samStatus.active} · {samStatus.provider ? samStatus.provider.name.toUpperCase() : 'provider on first use'}
        </button>
      )}
      <MenuButton
        label="Models ▾"
        title="SAM models and which engine fits this project"
        testId="models-menu"
        items={menuActions('models').map((a) => ({ label: a.label, ...(a.title ? { title: a.title } : {}), disabled: !isEnabled(a, actions), ...(a.testId ? { testId: a.testId } : {}), run: () => runAction(a, actions) }))}
      />
      <button onClick={onClose} title="Close this project (everything is already saved)">
        Close
      </button>
    </header>
  );
}
