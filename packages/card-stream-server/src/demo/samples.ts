// Sample templates the demo seeds on its first start, so the page has something to send
// at once. Each shows off a different part of the card definition (CONTRACT §6).
import type { TemplateInput } from '../../../protocol/src/templates.js';

export const SAMPLE_TEMPLATES: TemplateInput[] = [
  {
    name: 'Welcome',
    definition: {
      status: 'success',
      blocks: [
        { type: 'headline', content: 'Welcome aboard, {{name}}!' },
        { type: 'text', content: 'Your workspace is ready. **Three quick steps** get you going:\n- invite your team\n- connect a data source\n- pick a theme', format: 'markdown' },
        { type: 'button', buttons: [{ id: 'start', label: 'Get started', style: 'primary', action: { type: 'link', url: 'https://example.com/start' } }, { id: 'later', label: 'Later', action: { type: 'snooze', interval: 'PT1H' } }] },
      ],
    },
  },
  {
    name: 'Order update',
    definition: {
      status: 'pending',
      priority: 3,
      blocks: [
        { type: 'headline', content: 'Order #{{order}} is on its way' },
        { type: 'badge', label: 'Shipped', variant: 'success' },
        { type: 'kv', rows: [{ key: 'Carrier', value: 'Parcel Co' }, { key: 'Arrives', value: '!{arrival}' }] },
        { type: 'button', buttons: [{ id: 'track', label: 'Track parcel', action: { type: 'link', url: 'https://example.com/track/{{order}}' } }] },
      ],
    },
    runtimeVariables: [{ name: 'arrival', defaultValue: 'in 2–3 days' }],
  },
  {
    name: 'Quick survey',
    definition: {
      voting: 'both',
      blocks: [
        { type: 'headline', content: 'How was your last delivery?' },
        { type: 'input', name: 'rating', kind: 'select', label: 'Rating', options: ['Great', 'OK', 'Poor'], required: true },
        { type: 'input', name: 'comment', kind: 'text', label: 'Anything to add?', maxLength: 280 },
        { type: 'button', buttons: [{ id: 'send', label: 'Send', style: 'primary', action: { type: 'submit', payload: { survey: 'delivery' } } }] },
      ],
    },
  },
  {
    name: 'Payment failed',
    definition: {
      status: 'error',
      priority: 1,
      dismissible: false,
      blocks: [
        { type: 'headline', content: 'We could not charge your card' },
        { type: 'text', content: 'Update your payment details to keep your plan active.' },
        { type: 'button', buttons: [{ id: 'fix', label: 'Update card', style: 'danger', action: { type: 'custom', payload: { open: 'billing' } } }] },
      ],
    },
  },
];
