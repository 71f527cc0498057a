// The web binding: serves the built renderer over HTTP and the contract over a WebSocket, on
// 127.0.0.1 only, and only to clients that present the per-run token.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join, normalize, extname, sep } from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { eventNames, isMethodName, type Reply } from '../../app/contract';
import { toErrorData } from '../../app/errors';
import { decodeMessage, encodeMessage, type ServerMessage } from '../../app/wire';
import type { GrainLabService } from '../service';

export interface WebServerOptions {
  service: GrainLabService;
  /** Folder of the built renderer (index.html and assets). */
  staticDir: string;
  port?: number;
  token?: string;
  /** Host to bind; anything but a loopback address is refused. */
  host?: string;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

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

function tokenMatches(given: string | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
    throw new Error(`Refusing to serve GrainLab on ${host}: the web binding listens on 127.0.0.1 only.`);
  }
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const root = normalize(opts.staticDir);

  const serveStatic = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep) || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(rel === '/index.html' ? 'The renderer is not built. Run `npm run build` first.' : 'Not found');
    }
  };

  const http = createServer((req, res) => {
    void serveStatic(req, res);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 2 ** 31 - 1 });
  const clients = new Set<WebSocket>();

  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = req.headers.origin;
    const originOk = !origin || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(origin);
    if (url.pathname !== '/ws' || !tokenMatches(url.searchParams.get('token'), token) || !originOk) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const send = (ws: WebSocket, m: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(encodeMessage(m));
  };

  const unsubscribe = eventNames.map((name) =>
    opts.service.on(name, (payload) => {
      for (const ws of clients) send(ws, { t: 'event', name, payload });
    }),
  );

  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const bytes = data instanceof Buffer ? data : Buffer.concat(data as Buffer[]);
      let msg: { t?: unknown; id?: unknown; method?: unknown; args?: unknown };
      try {
        msg = decodeMessage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as typeof msg;
      } catch {
        ws.close(1003, 'bad frame');
        return;
      }
      if (msg.t !== 'call' || typeof msg.id !== 'number') return;
      const id = msg.id;
      if (!isMethodName(msg.method)) {
        send(ws, { t: 'reply', id, reply: { ok: false, error: { code: 'invalid-argument', message: `Unknown method '${String(msg.method)}'.` } } });
        return;
      }
      opts.service.invoke(msg.method, msg.args).then(
        (value) => send(ws, { t: 'reply', id, reply: { ok: true, value } satisfies Reply<unknown> }),
        (e: unknown) => send(ws, { t: 'reply', id, reply: { ok: false, error: toErrorData(e) } }),
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const shownHost = host === '::1' ? '[::1]' : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe.forEach((off) => off());
      for (const ws of clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
