// Service handlers: the web folder browser (main/fs/browse.ts), over the roots the service was given.
import type { browseMethods } from '../../app/contract/browse';
import { FolderBrowser, parseRoots } from '../fs/browse';
import type { Handlers, ServiceContext } from './context';

/** The browser over the roots the service was given (the home folder when none). */
export function serviceBrowser(ctx: ServiceContext): FolderBrowser {
  return new FolderBrowser(ctx.options.browseRoots?.length ? ctx.options.browseRoots : parseRoots(undefined));
}

export function browseHandlers(browser: FolderBrowser): Handlers<keyof typeof browseMethods> {
  return {
    'fs.list': (a) => browser.list(a.path),
  };
}
