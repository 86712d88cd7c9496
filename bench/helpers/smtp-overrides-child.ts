/**
 * One measured run for bench/smtp-overrides.ts (bench/helpers: not a benchmark itself): the SMTP pool
 * alone, in its own process, sending the same pre-built messages to smtp-sink with a chosen set of
 * FastSMTPConnection's overrides switched off (each one put back to nodemailer's own method).
 *
 * argv: port, messages, variant (`none` = nodemailer's methods only, `stream`, `envelope`, `both`),
 * then the files holding the message bytes (cycled; FILE.chunks lists its chunk lengths). Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { FastSMTPConnection } from '../../src/delivery/smtp-connection.ts';
import { smtpPoolTransport } from '../../src/delivery/smtp-pool.ts';

const [port, count, variant, ...files] = process.argv.slice(2) as [string, string, string, ...string[]];
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const keep = { stream: variant === 'stream' || variant === 'both', envelope: variant === 'envelope' || variant === 'both' };

// The overrides this build of smtp-connection.ts has; a method it no longer overrides stays nodemailer's.
const ours = FastSMTPConnection.prototype as unknown as Record<string, unknown>;
const theirs = SMTPConnection.prototype as unknown as Record<string, unknown>;
for (const [method, on] of [['_createSendStream', keep.stream], ['_setEnvelope', keep.envelope]] as const) {
  if (!on && Object.hasOwn(ours, method)) ours[method] = theirs[method];
}

const messages = files.map((f) => {
  const bytes = readFileSync(f);
  let at = 0;
  return (JSON.parse(readFileSync(`${f}.chunks`, 'utf8')) as number[]).map((len) => bytes.subarray(at, (at += len)));
});
const pool = smtpPoolTransport({ url: `smtp://127.0.0.1:${port}`, connections: CONNECTIONS });
const n = Number(count);
let next = 0;
let accepted = 0;
const worker = async () => {
  while (next < n) {
    const i = next++;
    const r = await pool.send({ from: 'digest@news.example.org', to: `reader${i}@example.org`, raw: messages[i % messages.length]!, messageId: `<${i}@bench>` });
    if (r.accepted) accepted++;
  }
};
// One warm-up message per connection (connect + EHLO), then the clock.
await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => pool.send({ from: 'digest@news.example.org', to: `warm${i}@example.org`, raw: messages[0]!, messageId: '<warm@bench>' })));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
// Two messages per connection outstanding, as the delivery engine keeps them.
await Promise.all(Array.from({ length: CONNECTIONS * 2 }, worker));
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await pool.close();
console.log(JSON.stringify({ accepted, ms, cpuUs: cpu.user + cpu.system }));
