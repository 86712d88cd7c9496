/**
 * One WebSub publish ping: `POST <hub>` with the form body `hub.mode=publish&hub.url=<feed>`, the
 * convention hubs (Google's PubSubHubbub hub, Superfeedr, WebSub.rocks) accept from publishers. Any
 * 2xx is success; anything else, a network error or a timeout is a failure the caller keeps for
 * the next tick.
 */
export const PING_TIMEOUT_MS = 10_000;

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

export async function pingHub(hub: string, feedUrl: string, opts: { fetch?: FetchLike; timeoutMs?: number } = {}): Promise<void> {
  const send = opts.fetch ?? (fetch);
  const res = await send(hub, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': feedUrl }).toString(),
    signal: AbortSignal.timeout(opts.timeoutMs ?? PING_TIMEOUT_MS),
  });
  const body = await res.text().catch(() => '');
  if (res.status < 200 || res.status > 299) {
    throw new Error(`hub answered ${res.status}${body.trim() ? `: ${body.trim().slice(0, 200)}` : ''}`);
  }
}
