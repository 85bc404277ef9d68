// A <card-count> in a frame of its own: the same origin, so the same group of tabs (one
// socket per browser, CONTRACT §8a), but another page with its own client, as in another
// tab. (The elements of one page share one client, so a second client needs a second page.)
import { until } from './platform.js';

export interface FramedCount {
  /** The number it shows, once it shows one. */
  count(): number | undefined;
  remove(): void;
}

export async function framedCount(apiBase: string, user: string): Promise<FramedCount> {
  const frame = document.createElement('iframe');
  // The page's module loads the SDK's sources as the tests do (the test server compiles them).
  frame.srcdoc = `<!doctype html><script type="module">
import { defineElements } from '/packages/card-stream/src/index.ts';
import { delegateFor } from '/test/sdk/support/platform.ts';
defineElements();
const count = document.createElement('card-count');
count.apiBase = ${JSON.stringify(apiBase)};
count.sessionDelegate = delegateFor(${JSON.stringify(user)});
document.body.append(count);
</script>`;
  document.body.append(frame);
  const element = () => frame.contentDocument?.querySelector('card-count');
  await until(() => element()?.shadowRoot, 'the framed <card-count>');
  return {
    count() {
      const text = element()?.shadowRoot?.textContent?.trim();
      return text ? Number(text) : undefined;
    },
    remove: () => frame.remove(),
  };
}
