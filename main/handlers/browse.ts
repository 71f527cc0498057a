// Service handlers: the web folder browser (main/fs/browse.ts), over the roots the service was given.
import type { browseMethods } from '../../app/contract/browse';
import { FolderBrowser, parseRoots } from '../fs/browse';
import type { Handlers, ServiceContext } from './context';

export function browseHandlers(ctx: ServiceContext): Handlers<keyof typeof browseMethods> {
  const browser = new FolderBrowser(ctx.options.browseRoots?.length ? ctx.options.browseRoots : parseRoots(undefined));
  return {
    'fs.list': (a) => browser.list(a.path),
  };
}
