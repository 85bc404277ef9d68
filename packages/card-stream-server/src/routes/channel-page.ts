// The public page of a channel (CONTRACT §5): /c/{channelId} shows its cards live to anyone
// with the link. A static page under a strict Content-Security-Policy: the SDK bundle from
// this server and nothing inline.
import { Type } from '@sinclair/typebox';
import { strictPagePolicy } from '../http/page-policy.js';
import type { App, Services } from './types.js';

const CSP = strictPagePolicy("'self'");

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export function channelPageRoutes(app: App, { channels }: Services): void {
  app.get(
    '/c/:channelId',
    { schema: { hide: true, params: Type.Object({ channelId: Type.String({ format: 'uuid' }) }) } },
    async (request, reply) => {
      const channel = await channels.get(request.params.channelId);
      const origin = `${request.protocol}://${request.host}`;
      const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(channel.name)} · card-stream</title>
<script src="/sdk/card-stream.iife.js" defer></script>
</head>
<body>
<main>
<h1>${escapeHtml(channel.name)}</h1>
<card-stream channel="${escapeHtml(channel.id)}" api-base="${escapeHtml(origin)}" theme="auto"></card-stream>
</main>
</body>
</html>
`;
      return reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-cache').send(html);
    },
  );
}
