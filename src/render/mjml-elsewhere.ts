/**
 * MJML → HTML in a short-lived child process (mjml-child.js). Loading MJML takes the better part
 * of a second of synchronous work; a server that did it on its own thread would answer nobody
 * meanwhile. The child also keeps MJML's ~100 MB out of a process that runs for weeks.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface MjmlResult {
  html: string;
  errors: { line?: number; message?: string }[];
}

export type MjmlCompile = (source: string, options: Record<string, unknown>) => Promise<MjmlResult>;

type Reply = ({ ok: true } & MjmlResult) | { ok: false; message: string; errors: MjmlResult['errors'] };

/** Rejects with MJML's own error (errors attached) or when the child cannot run. */
export const mjmlInChild: MjmlCompile = async (source, options) => {
  const reply = await new Promise<Reply>((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./mjml-child.js', import.meta.url)), [], {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve(m as Reply));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`MJML process exited with code ${code}`)));
    child.send({ source, options });
  });
  if (!reply.ok) throw Object.assign(new Error(reply.message), { errors: reply.errors });
  return { html: reply.html, errors: reply.errors };
};

/** The same in this process. */
export const mjmlHere: MjmlCompile = async (source, options) => {
  const { default: mjml2html } = await import('mjml');
  const r = await mjml2html(source, options);
  return { html: r.html, errors: (r.errors ?? []).map((e) => ({ line: e.line, message: e.message })) };
};
