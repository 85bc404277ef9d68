// The page's shared clients (CONTRACT §8a): elements with the same platform, transport and
// user share one client, and so one socket, whatever the identity of their session
// delegate. The user is the `sub` of the first token a new element's delegate gives (a
// delegate some client already holds is not asked again). A client leaves when its last
// stream does.
import { CardStreamClient, type ClientOptions } from './client.js';
import { decodeClaims } from './session.js';

const clients = new Map<string, CardStreamClient>();

/** What picks a client besides the user. */
export const clientKey = (options: ClientOptions) => `${options.apiBase} ${options.transport} ${options.pollInterval} ${options.channel ?? ''}`;

export async function clientFor(options: ClientOptions): Promise<CardStreamClient> {
  const base = clientKey(options);
  for (const [key, client] of clients) if (key.startsWith(`${base}|`) && client.holds(options.sessionDelegate)) return client;
  // A channel has no user; a delegate that fails gets a client of its own, which says why.
  const token = options.channel ? undefined : await options.sessionDelegate().catch(() => undefined);
  const key = `${base}|${(token && decodeClaims(token).sub) || (options.channel ? '' : `?${Math.random()}`)}`;
  let client = clients.get(key);
  if (!client) {
    const made: CardStreamClient = new CardStreamClient(options, () => clients.get(key) === made && clients.delete(key), token);
    clients.set(key, (client = made));
  }
  return client;
}
