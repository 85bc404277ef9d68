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
    --cs-launcher-inset: 16px;
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
    --cs-on-accent: #0d1117;
    --cs-error: #ff7b72;
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
      --cs-on-accent: #0d1117;
      --cs-error: #ff7b72;
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
    scroll-behavior: smooth;
  }
  @media (prefers-reduced-motion: reduce) {
    :host([mode='horizontal']) .feed {
      scroll-behavior: auto;
    }
  }
  :host([mode='horizontal']) cs-card {
    flex: 0 0 min(320px, 85%);
    scroll-snap-align: start;
  }
  /* Text outside the cards sits on a surface of its own, so it reads in either theme
     whatever the page behind it. */
  .state,
  .bar,
  .pager button,
  .launcher,
  [part~='panel'] {
    box-sizing: border-box;
    border: 1px solid var(--cs-card-border);
    border-radius: var(--cs-card-radius, 10px);
    background: var(--cs-card-bg);
    color: var(--cs-fg);
    font: 400 14px/1.45 var(--cs-font);
  }
  .state {
    padding: var(--cs-gap);
    text-align: center;
    outline-offset: 2px;
  }
  .bar {
    width: fit-content;
    margin-block: 0 8px;
    margin-inline: auto 0;
    padding: 2px 10px;
  }
  .pager {
    display: flex;
    justify-content: flex-end;
    gap: 8px;
    margin-bottom: 8px;
  }
  .pager button {
    min-width: 36px;
    min-height: 36px;
    font-size: 20px;
  }
  .pager [aria-disabled='true'] {
    color: var(--cs-muted);
  }
  button:focus-visible,
  .state:focus-visible,
  [part~='panel']:focus-visible {
    outline: 2px solid var(--cs-accent);
  }
  .launcher,
  [part~='panel'] {
    position: fixed;
    z-index: 2147483000;
    inset-block-end: var(--cs-launcher-inset);
    inset-inline-end: var(--cs-launcher-inset);
    box-shadow: 0 4px 20px #0004;
  }
  .bar,
  .launcher,
  [part~='launcher-count'] {
    border-radius: 999px;
  }
  .launcher {
    display: flex;
    align-items: center;
    gap: 6px;
    min-height: 48px;
    padding: 0 14px;
  }
  [part~='launcher-count'] {
    min-width: 20px;
    padding: 0 6px;
    background: var(--cs-accent);
    color: var(--cs-on-accent, #fff);
    font-weight: 600;
  }
  /* On a phone the panel keeps 16px either side, and the launcher stays visible below it. */
  [part~='panel'] {
    inset-block-end: calc(var(--cs-launcher-inset) + 60px);
    width: min(var(--cs-panel-width, 400px), 100vw - 32px);
    max-height: min(640px, 100vh - 100px);
    overflow: auto;
    padding: var(--cs-gap);
    background: var(--cs-panel-bg);
  }
  [part~='panel'][hidden] {
    display: none;
  }
  .sr {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  [part~='error'] button {
    font: inherit;
    margin-inline-start: 6px;
  }
`;
