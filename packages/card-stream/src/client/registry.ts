// The page's shared clients: elements with the same platform, session delegate and
// transport share one client (and so one socket). A client leaves when its last stream does.
import { CardStreamClient, type ClientOptions } from './client.js';

const clients = new WeakMap<ClientOptions['sessionDelegate'], Map<string, CardStreamClient>>();

export function clientFor(options: ClientOptions): CardStreamClient {
  let mine = clients.get(options.sessionDelegate);
  if (!mine) clients.set(options.sessionDelegate, (mine = new Map()));
  const key = `${options.apiBase} ${options.transport} ${options.pollInterval} ${options.channel ?? ''}`;
  let client = mine.get(key);
  if (!client) {
    client = new CardStreamClient(options, () => mine.delete(key));
    mine.set(key, client);
  }
  return client;
}
