/** A figure from the API: a number, or "—" with the reason it is undefined (on hover and for screen readers). */
import { html } from '../lib/html.js';
import { reasonText } from '../lib/format.js';

export function NotAvailable({ reason }) {
  const text = reasonText(reason);
  return html`<span class="na" title=${text}>—<span class="visually-hidden"> (not available: ${text})</span></span>`;
}

/** `figure` is {value} or {value: null, reason}; `format` turns the value into text. */
export function Fig({ figure, format, className }) {
  if (!figure || figure.value === null || figure.value === undefined) return html`<${NotAvailable} reason=${figure?.reason} />`;
  return html`<span class=${className}>${format(figure.value)}</span>`;
}
