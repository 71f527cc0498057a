// The built renderer over HTTP: GET/HEAD only, paths confined to the renderer folder (`..`, encoded
// escapes and links that lead out are refused), regular files only, never a malformed URL that
// throws out of the handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { readRegularFile } from '../fs/read';

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

/** Largest file served: the renderer's bundles are a few MB. */
const MAX_STATIC_BYTES = 64 * 2 ** 20;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** Headers every response of the web binding carries. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end(text);
}

/**
 * The renderer file a request path names, or null when it names nothing servable (outside the
 * folder, undecodable, with a NUL). Pure, so the rules can be tested without a server.
 */
function staticPath(root: string, url: string): string | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, 'http://127.0.0.1').pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  const rel = pathname === '/' || pathname === '' ? '/index.html' : pathname;
  const file = normalize(join(root, rel));
  return file.startsWith(root + sep) ? file : null;
}

export async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    plain(res, 405, 'Method not allowed');
    return;
  }
  const file = staticPath(root, req.url ?? '/');
  if (!file) {
    plain(res, 404, 'Not found');
    return;
  }
  let body: Uint8Array;
  try {
    body = await readRegularFile(file, { what: 'file', maxBytes: MAX_STATIC_BYTES, within: root });
  } catch {
    plain(res, 404, file === join(root, 'index.html') ? 'The renderer is not built. Run `npm run build` first.' : 'Not found');
    return;
  }
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache', 'Content-Length': String(body.byteLength) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
