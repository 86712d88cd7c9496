/**
 * Console Sessions: who is signed in to /admin. Kept in this process's memory, on purpose: one
 * `sudi serve` serves the Console, a restart signs the operator out (nothing to leak from the
 * database, nothing to expire there), and a Session never outlives the token that opened it.
 *
 * - The id is 256 random bits, sent only in an HttpOnly, SameSite=Strict cookie; the map is keyed
 *   by its SHA-256, so not even this process holds the ids it handed out.
 * - A sign-in never keeps the id it came with: the visitor's pre-sign-in Session (it holds the
 *   sign-in form's CSRF token) is dropped and a new id issued (no session fixation).
 * - Each Session carries its own CSRF token (synchronizer token), checked on every POST.
 * - Signed-in Sessions end SESSION_HOURS after sign-in; pre-sign-in ones after 30 minutes, and at
 *   most MAX_ANONYMOUS exist (the oldest goes first), so fetching the sign-in form cannot fill memory.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';

export const COOKIE_NAME = 'sudi_admin';
export const SESSION_MS = 12 * 3600_000;
export const ANONYMOUS_MS = 30 * 60_000;
export const MAX_ANONYMOUS = 1000;

export interface Session {
  signedIn: boolean;
  csrf: string;
  expiresAt: number;
  /** A one-time notice for the next page (after a POST that redirected). */
  flash?: string;
}

const hash = (id: string) => createHash('sha256').update(id).digest('base64url');
const random = () => randomBytes(32).toString('base64url');

/** Constant-time comparison of two strings of any length (hashed to the same length first). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

export interface Sessions {
  /** The live Session of a Cookie header, if any (expired ones are dropped on sight). */
  fromCookie(header: string | undefined, now: number): { id: string; session: Session } | null;
  /** A new Session with a fresh id; a previous one (`replacing`) ends first. */
  create(signedIn: boolean, now: number, replacing?: string): { id: string; session: Session };
  end(id: string): void;
  /** Set-Cookie for this id (Max-Age to match the Session); `null` clears the cookie. */
  cookie(id: string | null, session?: Session, now?: number): string;
  readonly size: number;
}

export function createSessions(opts: { secure: boolean }): Sessions {
  const map = new Map<string, Session>();
  let anonymous = 0;
  const drop = (key: string) => {
    const s = map.get(key);
    if (s && !s.signedIn) anonymous--;
    map.delete(key);
  };
  return {
    fromCookie(header, now) {
      const id = header ? parseCookie(header)[COOKIE_NAME] : undefined;
      if (!id || id.length > 100) return null;
      const key = hash(id);
      const session = map.get(key);
      if (!session) return null;
      if (session.expiresAt <= now) {
        drop(key);
        return null;
      }
      return { id, session };
    },
    create(signedIn, now, replacing) {
      if (replacing) drop(hash(replacing));
      if (!signedIn) {
        // Oldest first: a Map iterates in insertion order.
        for (const [key, s] of map) {
          if (anonymous < MAX_ANONYMOUS) break;
          if (!s.signedIn) drop(key);
        }
        anonymous++;
      }
      const id = random();
      const session: Session = { signedIn, csrf: random(), expiresAt: now + (signedIn ? SESSION_MS : ANONYMOUS_MS) };
      map.set(hash(id), session);
      return { id, session };
    },
    end(id) {
      drop(hash(id));
    },
    cookie(id, session, now = Date.now()) {
      const base = { name: COOKIE_NAME, path: '/admin', httpOnly: true, sameSite: 'strict' as const, secure: opts.secure };
      if (id === null || !session) return stringifySetCookie({ ...base, value: '', maxAge: 0 });
      return stringifySetCookie({ ...base, value: id, maxAge: Math.max(0, Math.floor((session.expiresAt - now) / 1000)) });
    },
    get size() {
      return map.size;
    },
  };
}
