// The SDK's WebSocket (docs/protocol.md, "The socket"): the upgrade carries no token, the
// first message does; the hub takes it from there.
import type { App, Services } from './types.js';

export function endUserSocketRoutes(app: App, { hub }: Pick<Services, 'hub'>): void {
  app.get('/v1/sdk/socket', { websocket: true, schema: { hide: true } }, (socket, request) => hub.accept(socket, request.ip));
}
