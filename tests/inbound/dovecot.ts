/**
 * A real IMAP server for tests: Debian's dovecot (dovecot-imapd) started on 127.0.0.1 with its own
 * configuration, Maildir and password file in a temporary folder; no system daemon is involved.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export const DOVECOT = '/usr/sbin/dovecot';
export const dovecotPresent = existsSync(DOVECOT);

export interface Dovecot {
  port: number;
  user: string;
  pass: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Resolves once the server greets on the port (each try waits for the connection's own answer). */
async function greeting(port: number, child: ChildProcess, log: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`dovecot exited ${child.exitCode}; see ${log}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('data', (d) => (c.destroy(), resolve(d.toString().startsWith('* OK'))));
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50)); // the port is not open yet: try again shortly
  }
  throw new Error(`dovecot did not answer on 127.0.0.1:${port}; see ${log}`);
}

export async function startDovecot(dir: string): Promise<Dovecot> {
  const root = process.getuid?.() === 0;
  // As root, dovecot insists on its own unprivileged users and refuses uid 0 for mail.
  const [uid, gid] = root ? [65534, 65534] : [process.getuid!(), process.getgid!()];
  const [internal, login] = root ? ['dovecot', 'dovenull'] : [process.env.USER ?? 'nobody', process.env.USER ?? 'nobody'];
  const user = 'bounces';
  const pass = 'imap-test-password';
  const port = await freePort();
  for (const d of ['run', 'state', 'mail']) await mkdir(path.join(dir, d), { recursive: true });
  if (root) {
    await chown(path.join(dir, 'mail'), uid, gid);
    await chmod(dir, 0o755);
  }
  await writeFile(path.join(dir, 'users'), `${user}:{PLAIN}${pass}::::::\n`);
  const log = path.join(dir, 'dovecot.log');
  const conf = path.join(dir, 'dovecot.conf');
  await writeFile(
    conf,
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${log}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%u
first_valid_uid = 1
default_internal_user = ${internal}
default_login_user = ${login}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`,
  );
  const child = spawn(DOVECOT, ['-F', '-c', conf], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await greeting(port, child, log);
  } catch (e) {
    child.kill('SIGTERM');
    await exited;
    throw e;
  }
  return {
    port,
    user,
    pass,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
