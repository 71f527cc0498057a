// "Import stack…": slice files (or one multi-page TIFF) imported as one stack — files in natural
// name order (slice_2 before slice_10), a multi-page file's pages in page order.
import { useRef, useState } from 'react';
import type { GrainLabClient } from '../../../app/contract';
import type { ImageRecord } from '../../../app/types';
import { naturalOrder } from '../../../app/stack/order';
import { isWebMode } from '../../client';
import { FolderBrowser } from '../browse/FolderBrowser';

const ACCEPT = '.png,.jpg,.jpeg,.tif,.tiff,image/png,image/jpeg,image/tiff';

interface Props {
  client: GrainLabClient;
  disabled: boolean;
  onImported(firstImageId: number): void;
  onError(e: unknown): void;
}

export function StackImport({ client, disabled, onImported, onError }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [browsing, setBrowsing] = useState(false);
  /** Web mode: slice files on the server, imported there (natural name order, as from a folder). */
  const importServerStack = async (paths: string[]) => {
    if (paths.length === 0) return;
    setBusy(`Importing ${paths.length} slice file(s) on the server…`);
    try {
      const r = await client.call('stacks.importPaths', { paths: naturalOrder(paths) });
      onImported(r.stack.imageIds[0]!);
    } catch (e) {
      onError(e);
    } finally {
      setBusy(null);
    }
  };
  const importStack = async (files: File[]) => {
    if (files.length === 0) return;
    const byName = new Map(files.map((f) => [f.name, f]));
    const ids: number[] = [];
    try {
      for (const [k, name] of naturalOrder([...byName.keys()]).entries()) {
        setBusy(`Importing slice file ${k + 1} of ${files.length}…`);
        const bytes = new Uint8Array(await byName.get(name)!.arrayBuffer());
        const res = await client.call('images.importFiles', { files: [{ name, bytes }] });
        if (res.failed.length > 0) throw new Error(`No stack was made: ${res.failed.map((f) => f.message).join('; ')}`);
        const pages: ImageRecord[] = [...res.imported, ...res.existing.map((e) => e.image)].sort((a, b) => a.page - b.page);
        ids.push(...pages.map((p) => p.id));
      }
      const name = files.length === 1 ? files[0]!.name : `${naturalOrder([...byName.keys()])[0]} (+${files.length - 1})`;
      const stack = await client.call('stacks.create', { name, imageIds: ids });
      onImported(stack.imageIds[0]!);
    } catch (e) {
      onError(e);
    } finally {
      setBusy(null);
    }
  };
  return (
    <>
      <button disabled={disabled || busy !== null} onClick={() => input.current?.click()} data-testid="import-stack-button" title={busy ?? 'Import slice files or a multi-page TIFF as one stack of slices (z order: file names naturally sorted, pages in order)'}>
        {busy ? 'Importing stack…' : 'Import stack…'}
      </button>
      {isWebMode() && (
        <button disabled={disabled || busy !== null} onClick={() => setBrowsing(true)} data-testid="import-stack-server" title="Import slice files that are on the server (or one multi-page TIFF) as one stack, from its folders">
          Stack from server…
        </button>
      )}
      {browsing && (
        <FolderBrowser
          mode="images"
          onClose={() => setBrowsing(false)}
          onChoose={(paths) => {
            setBrowsing(false);
            void importServerStack(paths);
          }}
        />
      )}
      <input
        ref={input}
        type="file"
        multiple
        accept={ACCEPT}
        hidden
        data-testid="stack-file-input"
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = '';
          void importStack(files);
        }}
      />
    </>
  );
}
