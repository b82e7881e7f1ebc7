/**
 * Turns a failed reply into something the user can act on: the core's message says what failed (and which
 * providers were tried); the hint says what to do about that particular failure.
 */
export function providerHelp(error: { code: string; message: string }): string {
  const m = error.message;
  const hint =
    error.code === 'locked' ? ''
    : /mid-reply/.test(m) ? ' Regenerate to try again, or Continue from where it stopped.'
    : /API key was refused|HTTP 40[13]/.test(m) ? ' Check the API key of that provider in Providers.'
    : /HTTP 404|not found \(check/.test(m) ? ' Check the base URL and the model name in Providers.'
    : /rate limited|HTTP 429/.test(m) ? ' The provider is busy or a usage limit was reached: try again in a moment, or add another provider in Providers as a fallback.'
    : /server error|HTTP 5\d\d/.test(m) ? ' The provider had a problem on its side: try again in a moment, or add another provider in Providers as a fallback.'
    : /no reply within|timed out/.test(m) ? ' The provider took too long to start answering; a large local model may need a moment to load. Try again.'
    : error.code === 'network' ? ' Check that the provider is running and that its address in Providers is right.'
    : error.code === 'provider' ? ' Check the provider in Providers (its address, model and API key), or try another one.'
    : '';
  return `${m}${hint}`;
}
