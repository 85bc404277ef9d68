'use client';
// Next.js App Router (README "Next.js (SSR)"): the feed in a client component. Every entry
// of the package imports on the server without touching `window`; on the server this
// renders the bare tags, and in the browser the elements take over. The token comes from
// the app's own route (`session-url`, fetched with the page's cookies). Type-checked by
// `npm test`; test/e2e/frameworks.test.ts renders it with react-dom/server.
import { CardCount, CardStream } from 'card-stream/react';

export default function Feed({ apiBase }: { apiBase: string }) {
  return (
    <nav>
      Inbox <CardCount apiBase={apiBase} sessionUrl="/api/card-stream-token" unseen />
      <CardStream apiBase={apiBase} sessionUrl="/api/card-stream-token" mode="launcher" />
    </nav>
  );
}
