// UI text; `strings` on <card-stream> overrides any of it.
export const DEFAULT_STRINGS = {
  feed: 'Cards',
  empty: 'No cards yet',
  loading: 'Loading cards…',
  error: 'Cards could not be loaded.',
  retry: 'Try again',
  menu: 'Card options',
  dismiss: 'Dismiss',
  snooze: 'Snooze',
  'vote-up': 'This is useful',
  'vote-down': 'This is not useful',
  snoozeTitle: 'Snooze until',
  PT1H: 'In 1 hour',
  PT4H: 'In 4 hours',
  P1D: 'Tomorrow',
  P7D: 'Next week',
  snoozeAt: 'Choose a time',
  cancel: 'Cancel',
  back: 'Back',
  voteTitle: 'Why is this not useful?',
  'not-relevant': 'Not relevant',
  'too-often': 'I see it too often',
  other: 'Something else',
  otherMessage: 'Tell us more',
  send: 'Send',
};

export type Strings = typeof DEFAULT_STRINGS;
