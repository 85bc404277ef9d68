// React 18 or 19 (README "React"): `card-stream/react` wraps the elements with typed props
// and `onCs…` callbacks. An inline arrow as `sessionDelegate` is fine: the page keeps one
// client per platform and user. Type-checked by `npm test`; test/e2e/frameworks.test.ts
// runs the same in React 18 and 19 apps.
import { CardStream, CardCount } from 'card-stream/react';

export function Inbox({ getToken }: { getToken: () => Promise<string> }) {
  return (
    <section>
      <h2>
        Inbox <CardCount apiBase="https://cards.example.com" sessionDelegate={() => getToken()} />
      </h2>
      <CardStream
        apiBase="https://cards.example.com"
        mode="launcher"
        sessionDelegate={() => getToken()}
        onCsState={(e) => console.log('feed is', e.detail.state, e.detail.reason ?? '')}
        onCsAction={(e) => console.log('button', e.detail.buttonId)}
      />
    </section>
  );
}

/** The elements written directly in React 19 JSX (React 19 sets their properties). */
export function Banner({ getToken }: { getToken: () => Promise<string> }) {
  return <card-stream api-base="https://cards.example.com" mode="single" stream="promos" sessionDelegate={() => getToken()} />;
}
