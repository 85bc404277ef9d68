// The page's shared clients (CONTRACT §8a): elements with the same platform, transport and
// user share one client, and so one socket, whatever the identity of their session
// delegate and their poll interval (the client polls at the shortest asked of it, from its
// next round on). The user is the `sub` of the first token a new element's delegate gives (a
// delegate some client already holds is not asked again). A client leaves when its last
// stream does.
import { CardStreamClient, type ClientOptions } from './client.js';
import { decodeClaims } from './session.js';

const clients = new Map<string, CardStreamClient>();

/** What picks a client besides the user. */
export const clientKey = (options: ClientOptions) => `${options.apiBase} ${options.transport} ${options.channel ?? ''}`;

export async function clientFor(options: ClientOptions): Promise<CardStreamClient> {
  const base = clientKey(options);
  let client: CardStreamClient | undefined;
  for (const [key, held] of clients) if (key.startsWith(`${base}|`) && held.holds(options.sessionDelegate)) client = held;
  if (!client) {
    // A channel has no user; a delegate that fails gets a client of its own, which says why.
    const token = options.channel ? undefined : await options.sessionDelegate().catch(() => undefined);
    const key = `${base}|${(token && decodeClaims(token).sub) || (options.channel ? '' : `?${Math.random()}`)}`;
    client = clients.get(key);
    if (!client) {
      const made: CardStreamClient = new CardStreamClient(options, () => clients.get(key) === made && clients.delete(key), token);
      clients.set(key, (client = made));
    }
  }
  // The shortest interval asked of it, from its next round on (polling.ts reads it each round).
  client.options.pollInterval = Math.min(client.options.pollInterval, options.pollInterval);
  return client;
}
