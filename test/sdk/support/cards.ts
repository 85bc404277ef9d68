// Card definitions the UI tests share.
import type { CardDefinition } from '../../../packages/protocol/src/definition.js';

/** Every block type, every button style, an input of every kind, a subview and voting. */
export const FULL_CARD: Partial<CardDefinition> = {
  status: 'warning',
  voting: 'both',
  priority: 1,
  blocks: [
    { type: 'headline', content: 'Your order is on its way' },
    { type: 'badge', label: 'Shipped' },
    { type: 'text', format: 'markdown', content: 'It left **today**. [Track it](https://example.com/track)\n- fast\n- insured' },
    { type: 'text', size: 'sm', content: 'Small print' },
    { type: 'kv', rows: [{ key: 'Carrier', value: 'Parcel Co' }, { key: 'Arrives', value: 'Tuesday' }] },
    { type: 'image', url: `${location.origin}/demo/public/assets/sample.svg`, alt: 'A parcel', height: 'short' },
    { type: 'video', url: `${location.origin}/__cs/media/silence.wav` },
    { type: 'divider' },
    { type: 'input', name: 'note', kind: 'text', label: 'A note for the driver', required: true, maxLength: 80 },
    { type: 'input', name: 'floor', kind: 'number', label: 'Floor' },
    { type: 'input', name: 'slot', kind: 'select', label: 'Delivery slot', options: ['Morning', 'Evening'], required: true },
    { type: 'input', name: 'day', kind: 'date', label: 'Delivery day' },
    { type: 'input', name: 'leave', kind: 'checkbox', label: 'Leave at the door' },
    {
      type: 'button',
      buttons: [
        { id: 'send', label: 'Send', style: 'primary', action: { type: 'submit' } },
        { id: 'more', label: 'Details', action: { type: 'subview', subviewId: 'more' } },
        { id: 'stop', label: 'Stop delivery', style: 'danger', action: { type: 'custom', payload: {} } },
        { id: 'off', label: 'Unavailable', disabled: true },
      ],
    },
  ],
  subviews: { more: { title: 'Delivery details', blocks: [{ type: 'text', content: 'Two parcels.' }, { type: 'button', buttons: [{ id: 'ok', label: 'Got it', action: { type: 'dismiss' } }] }] } },
};

export const SECOND_CARD: Partial<CardDefinition> = { priority: 2, blocks: [{ type: 'headline', content: 'Welcome' }, { type: 'text', content: 'Glad you are here.' }] };

/** A card whose first block is an image (under where the menu button used to sit). */
export const IMAGE_FIRST: Partial<CardDefinition> = {
  voting: 'both',
  blocks: [
    { type: 'image', url: `${location.origin}/demo/public/assets/sample.svg`, alt: 'A sample', height: 'short' },
    { type: 'headline', content: 'Picture first' },
  ],
};

/** A card whose first block is a video. */
export const VIDEO_FIRST: Partial<CardDefinition> = {
  blocks: [{ type: 'video', url: `${location.origin}/__cs/media/silence.wav` }, { type: 'text', content: 'Video first' }],
};

export const headline = (content: string, priority?: number): Partial<CardDefinition> => ({
  ...(priority ? { priority } : {}),
  blocks: [{ type: 'headline', content }, { type: 'text', content: `About ${content}` }],
});
