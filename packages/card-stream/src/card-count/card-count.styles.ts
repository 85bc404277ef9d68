import { css } from 'lit';

export const cardCountStyles = css`
  :host {
    display: inline;
  }
  :host([hidden]) {
    display: none;
  }
`;
