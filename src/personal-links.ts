/**
 * A Subscriber's personal addresses in an Issue's mail: the unsubscribe and preferences URLs
 * (subscribers/links.ts) and the signed return addresses (inbound/addresses.ts), under SECRET.
 * The message builder (delivery/message.ts) declares what it needs (PersonalAddresses) and the
 * composition root hands it this, so delivery/ depends on neither subscribers/ nor inbound/
 * (both of which depend on the mail parts delivery/ owns).
 */
import type { Config } from './config.ts';
import type { PersonalAddresses } from './delivery/message.ts';
import { unsubscribeAddress, verpAddress } from './inbound/addresses.ts';
import { preferencesUrl, unsubscribeUrl } from './subscribers/links.ts';
import { signToken, type SubscriberRef } from './subscribers/tokens.ts';

export function personalAddresses(config: Pick<Config, 'siteUrl'>, secret: string): PersonalAddresses {
  const links = personalLinks(config, secret);
  return {
    unsubscribeUrl: (to) => links.unsubscribe(to),
    preferencesUrl: (to) => links.preferences(to),
    unsubscribeAddress: (bounceDomain, to) => unsubscribeAddress(secret, bounceDomain, { id: to.subscriberId, email: to.email }),
    verpAddress: (bounceDomain, issueId, to) => verpAddress(secret, bounceDomain, issueId, to.subscriberId),
  };
}

/**
 * The unsubscribe and preferences URLs of subscribers/links.ts, made without a URL parse per
 * message: the base is resolved once and the token appended. Checked once against links.ts, and
 * links.ts itself is used if the two ever disagree.
 */
function personalLinks(config: Pick<Config, 'siteUrl'>, secret: string) {
  const stable = new Date(0);
  const base = (route: string) => new URL(`${route}/`, config.siteUrl).href;
  const [unsubBase, prefsBase] = [base('unsubscribe'), base('preferences')];
  const fast = {
    unsubscribe: (r: SubscriberRef) => unsubBase + signToken(secret, 'unsubscribe', r, stable),
    preferences: (r: SubscriberRef) => prefsBase + signToken(secret, 'preferences', r, stable),
  };
  const probe = { subscriberId: 123456, email: 'probe@example.org' };
  const same = fast.unsubscribe(probe) === unsubscribeUrl(config, secret, probe) && fast.preferences(probe) === preferencesUrl(config, secret, probe);
  return same
    ? fast
    : { unsubscribe: (r: SubscriberRef) => unsubscribeUrl(config, secret, r), preferences: (r: SubscriberRef) => preferencesUrl(config, secret, r) };
}
