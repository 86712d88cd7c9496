/**
 * TRUST_PROXY → how the server finds a visitor's address, and how that is said at start-up.
 *
 * Fastify 5 treats a numeric `trustProxy` as "trust nothing" (a hop count cannot tell the proxy
 * from a visitor who connects directly), so a hop count is handed over as a trust function
 * instead: the nearest `hops` addresses (the connection, then X-Forwarded-For from the right)
 * are proxies, and the entry before them is the client. Whatever a visitor wrote further left is
 * never reached. Addresses go through the same proxy-addr matcher Fastify itself uses.
 */
import { compile } from '@fastify/proxy-addr';
import type { Config, TrustProxy } from '../config.ts';

export type TrustFunction = (address: string, hop: number) => boolean;

/** Fastify's `trustProxy` option for TRUST_PROXY. */
export function fastifyTrustProxy(t: TrustProxy): boolean | TrustFunction {
  switch (t.kind) {
    case 'none':
      return false;
    case 'all':
      return true;
    case 'hops':
      return (_address, hop) => hop < t.hops;
    case 'addresses':
      return compile(t.addresses);
  }
}

/** One line for `sudi serve`: where the per-IP limits take the client's address from. */
export function describeClientAddress(config: Pick<Config, 'trustProxy' | 'host' | 'port'>): string {
  const t = config.trustProxy;
  switch (t.kind) {
    case 'none':
      return 'client IP: the connecting address (X-Forwarded-For is ignored; behind a proxy set TRUST_PROXY)';
    case 'hops':
      return (
        `client IP: the X-Forwarded-For entry added by the farthest of ${t.hops} trusted proxy hop(s) (TRUST_PROXY=${t.hops}; ` +
        `anything a visitor wrote before it is ignored; a client reaching ${config.host}:${config.port} without the proxy can choose its IP)`
      );
    case 'addresses':
      return (
        `client IP: the nearest X-Forwarded-For entry that is not a trusted proxy (TRUST_PROXY=${t.addresses.join(',')}); ` +
        'connections from other addresses: the connecting address'
      );
    case 'all':
      return 'client IP: the first X-Forwarded-For entry, which any visitor can forge (TRUST_PROXY=true; set a hop count such as 1 or the proxy\'s address instead)';
  }
}
