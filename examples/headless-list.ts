// A custom UI without Lit (README "Headless"): the headless client of `card-stream/client`
// draws a plain list and acts on it. Type-checked by `npm test` (tsconfig.json).
import { createClient } from 'card-stream/client';

const feed = createClient({
  apiBase: 'https://cards.example.com',
  sessionDelegate: () => fetch('/my/token').then((r) => r.text()),
});

const list = document.querySelector('#cards') as HTMLUListElement;
feed.subscribe(({ state, cards, total }) => {
  list.dataset.state = state;
  list.replaceChildren(
    ...cards.map((card) => {
      const item = document.createElement('li');
      const headline = card.definition.blocks.find((b) => b.type === 'headline');
      item.textContent = headline && 'content' in headline ? String(headline.content) : card.cardTemplateName;
      const dismiss = document.createElement('button');
      dismiss.textContent = 'Dismiss';
      dismiss.onclick = () => void feed.dismiss(card.cardInstanceId);
      item.append(dismiss);
      feed.track('card-displayed', { cardInstanceId: card.cardInstanceId });
      return item;
    }),
  );
  document.title = `${total} cards`;
});
