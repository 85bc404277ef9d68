import { css } from 'lit';

// Colours and sizes come from <card-stream>'s custom properties (they inherit into this
// shadow root, so no fallbacks here). Typography is set on .card itself, so page styles inherited through the
// host element cannot reach the card's text.
export const cardStyles = css`
  :host {
    display: block;
    box-sizing: border-box;
    border-radius: var(--cs-card-radius, 10px);
    outline-offset: 2px;
    transition: 150ms ease;
  }
  :host([leaving]) {
    opacity: 0;
    transform: translateX(8%);
  }
  :host([leaving]:dir(rtl)) {
    transform: translateX(-8%);
  }
  @media (prefers-reduced-motion: reduce) {
    :host {
      transition: none;
    }
  }
  .card {
    display: flow-root;
    box-sizing: border-box;
    height: 100%;
    padding: var(--cs-card-padding, 14px 16px);
    border: 1px solid var(--cs-card-border);
    border-inline-start: 4px solid var(--cs-tone, var(--cs-card-border));
    border-radius: inherit;
    background: var(--cs-card-bg);
    color: var(--cs-fg);
    font: 400 var(--cs-font-size, 14px) / 1.45 var(--cs-font);
    letter-spacing: normal;
    text-align: start;
    text-transform: none;
    word-break: break-word;
  }
  :host([tone='success']) {
    --cs-tone: var(--cs-success, #1a7f37);
  }
  :host([tone='warning']) {
    --cs-tone: var(--cs-warning, #bf8700);
  }
  :host([tone='error']) {
    --cs-tone: var(--cs-error, #cf222e);
  }
  :host([tone='pending']) {
    --cs-tone: var(--cs-pending, #8250df);
  }
  .headline {
    margin: 0 0 6px;
    font-size: 1.15em;
    font-weight: 600;
  }
  p,
  ul,
  ol {
    margin: 0 0 6px;
  }
  .sm {
    font-size: 0.88em;
  }
  .lg {
    font-size: 1.15em;
  }
  .bold {
    font-weight: 600;
  }
  a {
    color: var(--cs-accent);
  }
  .badge {
    display: inline-block;
    margin: 0 0 6px;
    padding: 1px 8px;
    border-radius: 999px;
    background: var(--cs-badge-bg);
    font-size: 0.8em;
  }
  .kv {
    display: grid;
    gap: 2px;
    margin: 0 0 6px;
  }
  .kv div {
    display: flex;
    justify-content: space-between;
    gap: 12px;
  }
  dt {
    color: var(--cs-muted);
  }
  dd {
    margin: 0;
  }
  .image,
  .video {
    display: block;
    width: 100%;
    margin: 0 0 8px;
    border-radius: 6px;
    object-fit: cover;
  }
  .tall {
    height: 320px;
  }
  .medium {
    height: 200px;
  }
  .short {
    height: 120px;
  }
  .original {
    height: auto;
  }
  .divider {
    border: 0;
    border-top: 1px solid var(--cs-card-border);
    margin: 8px 0;
  }
  .field {
    display: block;
    margin: 8px 0 2px;
    font-size: 0.9em;
  }
  .check {
    display: flex;
    gap: 6px;
    align-items: center;
    margin: 8px 0 2px;
  }
  .error {
    margin: 2px 0 0;
    color: var(--cs-error, #cf222e);
    font-size: 0.9em;
  }
  input,
  select,
  textarea {
    box-sizing: border-box;
    max-width: 100%;
    font: inherit;
    color: inherit;
    background: var(--cs-input-bg, transparent);
    border: 1px solid var(--cs-card-border);
    border-radius: 6px;
    padding: 4px 6px;
  }
  /* Fields take the card's width: a label above, its field below, on any screen. */
  input:not([type='checkbox']),
  select,
  textarea {
    width: 100%;
    min-height: 32px;
  }
  .buttons {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    margin-top: 8px;
  }
  button {
    font: inherit;
    cursor: pointer;
    color: inherit;
    background: var(--cs-button-bg, transparent);
    border: 1px solid var(--cs-card-border);
    border-radius: var(--cs-button-radius, 6px);
    padding: 5px 12px;
  }
  button:focus-visible,
  :host(:focus-visible) {
    outline: 2px solid var(--cs-accent);
  }
  button.primary {
    background: var(--cs-accent);
    border-color: var(--cs-accent);
    color: var(--cs-on-accent, #fff);
  }
  button.danger {
    color: var(--cs-error, #cf222e);
    border-color: currentColor;
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  /* Floated, so the headline wraps beside it while images, video, rows and panels
     (which do not flow around floats) start below it: it never covers them. */
  .menu-button {
    float: inline-end;
    min-width: 32px;
    min-height: 32px;
    margin-block-start: -6px;
    margin-inline: 4px -8px;
    border: 0;
    padding: 0;
    font-size: 1.2em;
  }
  .when {
    display: block;
    font-size: 0.85em;
    color: var(--cs-muted);
  }
  .panel {
    clear: both;
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
    margin: 0 0 10px;
    padding: 8px;
    border-radius: 8px;
    background: var(--cs-panel-bg);
  }
  .panel.menu {
    flex-direction: column;
    align-items: stretch;
  }
  .title {
    width: 100%;
    margin: 0;
    font-weight: 600;
  }
  .subview-head {
    display: flex;
    align-items: baseline;
    gap: 8px;
  }
`;
