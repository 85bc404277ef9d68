import { css } from 'lit';

// Constructable stylesheets (adoptedStyleSheets): no inline <style>, so a strict
// `style-src` CSP does not block them.
export const cardStreamStyles = css`
  :host {
    --cs-font: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    --cs-fg: #1f2328;
    --cs-muted: #59636e;
    --cs-bg: transparent;
    --cs-gap: 12px;
    display: block;
    box-sizing: border-box;
    font-family: var(--cs-font);
    color: var(--cs-fg);
    background: var(--cs-bg);
  }
  :host([hidden]) {
    display: none;
  }
  :host([theme='dark']) {
    --cs-fg: #e6edf3;
    --cs-muted: #9198a1;
  }
  @media (prefers-color-scheme: dark) {
    :host([theme='auto']) {
      --cs-fg: #e6edf3;
      --cs-muted: #9198a1;
    }
  }
  [part~='empty'] {
    padding: var(--cs-gap);
    text-align: center;
    color: var(--cs-muted);
  }
`;
