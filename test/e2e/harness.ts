// Starts the real web binding (service + HTTP/WebSocket server over the built renderer) and a
// headless Debian Chromium driven by playwright-core. No browser download, no network.
import type { Viewport } from '../../app/view/viewport';
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrainLabService } from '../../main/service';
import { startWebServer, type WebServer } from '../../main/server/web-server';
import { rendererDir } from '../../main/paths';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Harness {
  service: GrainLabService;
  server: WebServer;
  browser: Browser;
  page: Page;
  tmp: string;
  close(): Promise<void>;
}

export function browserAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export async function startHarness(viewport = { width: 1360, height: 820 }, options: { browseRoots?(tmp: string): string[] } = {}): Promise<Harness> {
  if (!existsSync(join(rendererDir(), 'index.html'))) throw new Error('The renderer is not built: run `npm run build` first.');
  const tmp = mkdtempSync(join(tmpdir(), 'grainlab-e2e-'));
  // The page may use the system's temp folder (where every test writes), unless a test names its roots.
  const service = new GrainLabService({ userDataDir: join(tmp, 'user'), binding: 'web', browseRoots: options.browseRoots ? options.browseRoots(tmp) : [tmpdir()] });
  const server = await startWebServer({ service, staticDir: rendererDir(), port: 0 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport });
  // The tests read the app's debug hooks (window.__grainlab), which are off by default.
  await page.addInitScript('window.__grainlabDebug = true;');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    service,
    server,
    browser,
    page,
    tmp,
    close: async () => {
      await browser.close();
      await server.close();
      await service.dispose();
      if (errors.length) throw new Error(`Uncaught errors in the page: ${errors.join(' | ')}`);
    },
  };
}

/** Polls `probe` every 100 ms until it holds; throws naming `what` after `ms`. */
export async function waitFor(page: Page, probe: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await probe()) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Drags on the viewer through points given in image pixels (through the view's zoom and pan). */
export async function dragOnImage(page: Page, pts: [number, number][]): Promise<void> {
  const box = (await page.getByTestId('viewer').boundingBox())!;
  const v = JSON.parse((await page.getByTestId('zoom').getAttribute('data-view'))!) as Viewport;
  const scr = ([x, y]: [number, number]) => [box.x + v.x + (x + 0.5) * v.scale, box.y + v.y + (y + 0.5) * v.scale] as const;
  const [x0, y0] = scr(pts[0]!);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  for (const p of pts.slice(1)) {
    const [x, y] = scr(p);
    await page.mouse.move(x, y, { steps: 3 });
  }
  await page.mouse.up();
}
