/**
 * The preview's HTTP server (node:http, 127.0.0.1 only): the issue's email HTML (`/`,
 * `/email.html`), plain text (`/email.txt`) and web page (`/web.html`), plus `/reload.js` and an
 * SSE stream (`/events`) that tells open pages to reload after the issue or a template changed.
 *
 * It only serves what it is given (`update`); rendering and watching live elsewhere. The reload
 * script is an external file and the CSP forbids inline script, like the real site's server.
 */
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { escapeHtml } from '../render/html-text.ts';

export interface PreviewContent {
  emailHtml: string;
  emailText: string;
  webHtml: string;
  /** The site stylesheet, so /web.html looks as it will on the site. */
  css: string;
}

/**
 * What the server shows: a "rendering…" page until the first render is done (MJML loads then, which
 * takes a while), then the rendered issue, or why it could not be rendered (mid-edit).
 */
export type PreviewState = { kind: 'rendering' } | { kind: 'ready'; content: PreviewContent } | { kind: 'invalid'; problems: string[] };

export interface PreviewServer {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  /** Replaces what is served and tells every open page to reload. */
  update(state: PreviewState): void;
  close(): Promise<void>;
}

const RELOAD_JS = readFileSync(path.join(import.meta.dirname, 'reload-client.js'), 'utf8');
const RELOAD_TAG = '<script src="/reload.js" defer></script>';

// Email HTML needs inline styles (that is how mail is styled); scripts only from this origin.
const CSP =
  "default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline' https:; img-src * data:; font-src * data:; base-uri 'none'; form-action 'none'";

/** Adds the reload script before the last `</body>` (or at the end when there is none). */
export function withReloadScript(html: string): string {
  const at = html.toLowerCase().lastIndexOf('</body>');
  return at < 0 ? `${html}\n${RELOAD_TAG}\n` : `${html.slice(0, at)}${RELOAD_TAG}\n${html.slice(at)}`;
}

function errorPage(problems: readonly string[]): string {
  const items = problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('\n');
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Preview: cannot render</title></head><body>\n<h1>The issue cannot be rendered</h1>\n<ul>\n${items}\n</ul>\n<p>Fix the file and save: this page reloads by itself.</p>\n</body></html>\n`;
}

/** Refreshes itself every second (a meta refresh: the CSP allows no inline script); the reload script also reloads it when ready. */
const RENDERING_PAGE =
  '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="1"><title>Preview: rendering…</title></head><body>\n<h1>Rendering…</h1>\n<p>The first render loads the email toolchain; this page shows the issue as soon as it is ready.</p>\n</body></html>\n';

export async function startPreviewServer(opts: { host: string; port: number }): Promise<PreviewServer> {
  let state: PreviewState = { kind: 'rendering' };
  const listeners = new Set<ServerResponse>();

  const send = (res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      'Content-Type': `${type}; charset=utf-8`,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': CSP,
      ...extra,
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  // For programs rather than people (the text, the stylesheet): "not yet, ask again in a second".
  const notYet = (res: ServerResponse, type: string) => send(res, 503, type, type === 'text/plain' ? 'rendering…\n' : '', { 'Retry-After': '1' });
  const page = (res: ServerResponse, pick: (c: PreviewContent) => string) => {
    if (state.kind === 'rendering') return send(res, 200, 'text/html', withReloadScript(RENDERING_PAGE));
    if (state.kind === 'invalid') return send(res, 500, 'text/html', withReloadScript(errorPage(state.problems)));
    return send(res, 200, 'text/html', withReloadScript(pick(state.content)));
  };

  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    const route = new URL(req.url ?? '/', 'http://preview.invalid').pathname;
    switch (route) {
      case '/':
      case '/email.html':
        return page(res, (c) => c.emailHtml);
      case '/web.html':
        return page(res, (c) => c.webHtml);
      case '/email.txt':
        if (state.kind === 'rendering') return notYet(res, 'text/plain');
        return state.kind === 'ready' ? send(res, 200, 'text/plain', state.content.emailText) : send(res, 500, 'text/plain', `${state.problems.join('\n')}\n`);
      case '/style.css':
        if (state.kind === 'rendering') return notYet(res, 'text/css');
        return send(res, state.kind === 'ready' ? 200 : 404, 'text/css', state.kind === 'ready' ? state.content.css : '');
      case '/reload.js':
        return send(res, 200, 'text/javascript', RELOAD_JS);
      case '/events':
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
        res.write(': connected\n\n');
        listeners.add(res);
        res.on('close', () => listeners.delete(res));
        return;
      default:
        return send(res, 404, 'text/plain', 'not found: try /, /email.txt or /web.html\n');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}/`,
    update(next) {
      state = next;
      for (const res of listeners) res.write('event: reload\ndata: changed\n\n');
    },
    async close() {
      for (const res of listeners) res.end();
      listeners.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
