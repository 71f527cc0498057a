// The renderer's home in Electron: a privileged custom scheme, app://grainlab/, served from the
// built renderer folder. Pages loaded from file:// could read any local file by URL and every
// file:// page would count as ours; app:// is one origin, and only files of the renderer folder
// exist under it (`..`, encoded escapes and other hosts are refused). Electron-free, so a test can
// drive the handler.
import { extname, join, normalize, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../server/static-files';

export const APP_SCHEME = 'app';
export const APP_ORIGIN = 'app://grainlab';
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;
/**
 * standard: URLs resolve like http (relative paths, an origin); secure: counts as a secure
 * context; supportFetchAPI: the page may fetch its own assets; codeCache: V8 caches its scripts.
 * No bypassCSP, no corsEnabled, no stream/service-worker privileges.
 */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, codeCache: true } as const;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/** Whether a URL is of our app origin (the page, its assets, or blobs it made). */
export function isAppUrl(url: string): boolean {
  return url === APP_ORIGIN || url.startsWith(`${APP_ORIGIN}/`) || url.startsWith(`blob:${APP_ORIGIN}/`);
}

/** The renderer file an app:// URL names, or null (another host, outside the folder, undecodable). */
export function appFilePath(rendererDir: string, url: string): string | null {
  let u: URL;
  let pathname: string;
  try {
    u = new URL(url);
    pathname = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || `${u.protocol}//${u.host}` !== APP_ORIGIN || pathname.includes('\0')) return null;
  const root = normalize(rendererDir);
  const file = normalize(join(root, pathname === '/' || pathname === '' ? '/index.html' : pathname));
  return file.startsWith(root + sep) ? file : null;
}

/** The app:// protocol handler: GET/HEAD of renderer files, each with the CSP; 404 for anything else. */
export function appProtocolHandler(rendererDir: string, read: (file: string) => Promise<Uint8Array>): (req: { url: string; method: string }) => Promise<Response> {
  const headers = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' };
  return async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return new Response(null, { status: 405, headers });
    const file = appFilePath(rendererDir, req.url);
    if (!file) return new Response('Not found', { status: 404, headers });
    let body: Uint8Array;
    try {
      body = await read(file);
    } catch {
      return new Response('Not found', { status: 404, headers });
    }
    return new Response(req.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers: { ...headers, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' } });
  };
}
