import { css } from 'lit';

// Constructable stylesheets (adoptedStyleSheets): no inline <style>, so a strict
// `style-src` CSP does not block them. Every token is a custom property the host page
// may set on card-stream; dark values apply with theme="dark" (or "auto" in a dark OS).
export const cardStreamStyles = css`
  :host {
    --cs-font: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    --cs-fg: #1f2328;
    --cs-muted: #59636e;
    --cs-bg: transparent;
    --cs-accent: #0969da;
    --cs-card-bg: #fff;
    --cs-card-border: #d0d7de;
    --cs-panel-bg: #f6f8fa;
    --cs-badge-bg: #eaeef2;
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
    --cs-accent: #4493f8;
    --cs-card-bg: #161b22;
    --cs-card-border: #3d444d;
    --cs-panel-bg: #212830;
    --cs-badge-bg: #2f3742;
    color-scheme: dark;
  }
  @media (prefers-color-scheme: dark) {
    :host([theme='auto']) {
      --cs-fg: #e6edf3;
      --cs-muted: #9198a1;
      --cs-accent: #4493f8;
      --cs-card-bg: #161b22;
      --cs-card-border: #3d444d;
      --cs-panel-bg: #212830;
      --cs-badge-bg: #2f3742;
      color-scheme: dark;
    }
  }
  .feed {
    display: flex;
    flex-direction: column;
    gap: var(--cs-gap);
    font: 400 14px/1.45 var(--cs-font);
    color: var(--cs-fg);
    outline: none;
  }
  :host([mode='horizontal']) .feed {
    flex-direction: row;
    overflow-x: auto;
    scroll-snap-type: x mandatory;
  }
  :host([mode='horizontal']) cs-card {
    flex: 0 0 min(320px, 85%);
    scroll-snap-align: start;
  }
  [part~='empty'],
  [part~='loading'],
  [part~='error'] {
    padding: var(--cs-gap);
    text-align: center;
    color: var(--cs-muted);
  }
  [part~='error'] button {
    font: inherit;
    margin-inline-start: 6px;
  }
`;
