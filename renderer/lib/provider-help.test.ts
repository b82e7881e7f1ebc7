import { describe, expect, it } from 'vitest';
import { providerHelp } from './provider-help.dom.ts';

// The messages are the core's own (chat engine and provider client); each failure gets the hint that fixes it.
describe('providerHelp', () => {
  const cases: [string, string, RegExp][] = [
    ['provider', 'No reply. Tried Cloud (HTTP 401: the API key was refused (Incorrect API key provided.)).', /Check the API key of that provider/],
    ['provider', 'No reply. Tried Cloud (HTTP 404 not found (check the base URL and model)).', /base URL and the model name/],
    ['provider', 'No reply. Tried Cloud (HTTP 429: rate limited).', /try again in a moment, or add another provider/],
    ['provider', 'No reply. Tried 2 providers: A (HTTP 503: server error); B (HTTP 500: server error).', /problem on its side/],
    ['network', 'No reply. Tried Local (connection refused).', /provider is running and that its address/],
    ['network', 'No reply. Tried Local (no reply within 60 s).', /took too long/],
    ['network', 'Local failed mid-reply: the connection was cut. The text that arrived is kept.', /Regenerate to try again, or Continue/],
  ];
  it.each(cases)('%s: %s', (code, message, hint) => {
    const text = providerHelp({ code, message });
    expect(text.startsWith(message)).toBe(true);
    expect(text.slice(message.length)).toMatch(hint);
  });

  it('adds nothing to a lock, which is not a failure to fix', () => {
    const message = 'The vault was locked while the reply was streaming; the text so far is kept.';
    expect(providerHelp({ code: 'locked', message })).toBe(message);
  });
});
