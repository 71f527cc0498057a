// The web binding: serves the built renderer over HTTP and the contract over a WebSocket, on
// 127.0.0.1 only, only under our own host names (a DNS-rebinding page names another), and the
// WebSocket only to clients that present the per-run token from our own origin. Every socket and
// request has an error handler, and frames are bounded (maxPayload), so no input ends the process.
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { normalize } from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { eventNames } from '../../app/contract';
import { MAX_MESSAGE_BYTES } from '../../app/limits';
import type { GrainLabService } from '../service';
import { Connection, DEFAULT_LIMITS, type ConnectionLimits } from './connection';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS, serveStatic } from './static-files';

export { CONTENT_SECURITY_POLICY };

interface WebServerOptions {
  service: GrainLabService;
  /** Folder of the built renderer (index.html and assets). */
  staticDir: string;
  port?: number;
  token?: string;
  /** Host to bind; anything but a loopback address is refused. */
  host?: string;
  /** Per-connection bounds (tests and the load benchmark shrink them). */
  limits?: Partial<ConnectionLimits>;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  /** Clients connected now. */
  connections(): number;
  close(): Promise<void>;
}

function tokenMatches(given: string | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Host header values this server answers to: its loopback names with its port. */
function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

function refuseUpgrade(socket: Duplex, status: string): void {
  if (socket.writable) socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
    throw new Error(`Refusing to serve GrainLab on ${host}: the web binding listens on 127.0.0.1 only.`);
  }
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const root = normalize(opts.staticDir);
  const limits: ConnectionLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  let hosts = new Set<string>();
  const hostOk = (req: IncomingMessage) => hosts.has((req.headers.host ?? '').toLowerCase());

  const http = createServer((req, res) => {
    req.on('error', () => res.destroy());
    res.on('error', () => res.destroy());
    if (!hostOk(req)) {
      res.writeHead(421, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('This GrainLab server answers only at the address it printed (127.0.0.1 or localhost).');
      return;
    }
    serveStatic(root, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  // Malformed HTTP (bad request line, oversized headers, a reset mid-request): answer or drop that
  // socket, never the server.
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  http.headersTimeout = 20_000;
  http.requestTimeout = 60_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, clientTracking: false, perMessageDeflate: false });
  wss.on('error', () => {});
  const clients = new Set<Connection>();

  http.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      refuseUpgrade(socket, '400 Bad Request');
      return;
    }
    const origin = req.headers.origin;
    const originOk = origin === undefined || [...hosts].some((h) => origin.toLowerCase() === `http://${h}`);
    if (!hostOk(req) || url.pathname !== '/ws' || !tokenMatches(url.searchParams.get('token'), token) || !originOk) {
      refuseUpgrade(socket, '401 Unauthorized');
      return;
    }
    if (clients.size >= limits.maxConnections) {
      refuseUpgrade(socket, '503 Service Unavailable');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c = new Connection(ws, opts.service, limits);
      clients.add(c);
      ws.on('close', () => clients.delete(c));
    });
  });

  const unsubscribe = eventNames.map((name) =>
    opts.service.on(name, (payload) => {
      for (const c of clients) c.send({ t: 'event', name, payload });
    }),
  );
  const stallTimer = setInterval(() => {
    const now = Date.now();
    for (const c of clients) c.checkStalled(now);
  }, Math.max(100, Math.min(5_000, limits.stallMs / 4)));
  stallTimer.unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', () => {});
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  hosts = allowedHosts(port);
  const shownHost = host === '::1' ? '[::1]' : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    connections: () => clients.size,
    close: async () => {
      clearInterval(stallTimer);
      unsubscribe.forEach((off) => off());
      for (const c of clients) c.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections?.();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
