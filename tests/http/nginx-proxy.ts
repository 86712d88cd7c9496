/**
 * Debian's nginx as a real reverse proxy in front of a test server, on loopback: its own prefix,
 * pid file and temp folders in a temp dir, run as the current user, stopped by the test. The
 * config is the one README recommends (X-Forwarded-For $proxy_add_x_forwarded_for).
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { tempDir } from '../helpers/run-cli.ts';
import { freePort } from './web-fixture.ts';

export const NGINX = '/usr/sbin/nginx';

export interface NginxProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  stop(): Promise<void>;
}

function config(dir: string, port: number, upstream: string): string {
  const t = (name: string) => path.join(dir, name);
  // Only root can (and must, or workers run as nobody) name the workers' user.
  const user = process.getuid?.() === 0 ? `user ${os.userInfo().username};\n` : '';
  return `${user}daemon off;
worker_processes 1;
pid ${t('nginx.pid')};
error_log stderr notice;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${t('client_body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass ${upstream};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`;
}

/** Starts nginx proxying to `upstream` (e.g. http://127.0.0.1:8080); resolves once it listens. */
export async function startNginxProxy(upstream: string): Promise<NginxProxy> {
  const t = await tempDir('sudi-nginx-');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = path.join(t.dir, 'nginx.conf');
    await mkdir(path.join(t.dir, 'logs'), { recursive: true });
    await writeFile(conf, config(t.dir, port, upstream));
    const child = spawn(NGINX, ['-p', t.dir, '-c', conf, '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // nginx logs "start worker processes" once its listening socket is bound; an exit means it failed.
    const started = await new Promise<boolean>((resolve) => {
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
        if (err.includes('start worker process')) resolve(true);
      });
      void exited.then(() => resolve(false));
    });
    if (started) {
      return {
        url: `http://127.0.0.1:${port}`,
        port,
        async stop() {
          child.kill('SIGTERM');
          await exited;
          await t.cleanup();
        },
      };
    }
    // Another process took the port between freePort() and nginx's bind: try another.
    if (!err.includes('Address already in use') || attempt >= 4) {
      await t.cleanup();
      throw new Error(`nginx did not start:\n${err}`);
    }
  }
}

export interface Answer {
  status: number;
  body: string;
}

/**
 * One request on a fresh connection from `localAddress` (any of 127.0.0.0/8 on Linux): each
 * address is a different visitor as far as the proxy can tell.
 */
export function requestFrom(localAddress: string, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers, localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
