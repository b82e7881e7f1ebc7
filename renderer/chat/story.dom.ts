/**
 * What makes the chat read like a story: each character's own colour (a hue from their id, the same on every
 * device, light or dark theme), search matches highlighted in place with the CSS Custom Highlight API (the
 * message body's DOM is left as its renderer made it), and reading aloud with the system's own voices.
 */

import { consentGranted } from '../stores/consent.dom.ts';

/** A stable hue for a record id. */
export function hueOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % 360;
}

/** Highlights every case-insensitive occurrence of `text` inside `root` (replacing the previous highlight). */
export function highlightMatches(root: Element | null, text: string): number {
  const registry = (CSS as unknown as { highlights?: Map<string, unknown> }).highlights;
  const HighlightCtor = (window as unknown as { Highlight?: new (...r: Range[]) => unknown }).Highlight;
  if (!registry || !HighlightCtor) return 0;
  registry.delete('search-match');
  const needle = text.trim().toLowerCase();
  if (!root || !needle) return 0;
  const ranges: Range[] = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const hay = (node.nodeValue ?? '').toLowerCase();
    for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + needle.length)) {
      const r = document.createRange();
      r.setStart(node, i);
      r.setEnd(node, i + needle.length);
      ranges.push(r);
    }
  }
  if (ranges.length) registry.set('search-match', new HighlightCtor(...ranges));
  return ranges.length;
}

export function clearHighlight(): void {
  (CSS as unknown as { highlights?: Map<string, unknown> }).highlights?.delete('search-match');
}

/**
 * Voices that may read: those that run on this computer, and the system's online voices (`localService` false:
 * Chromium sends their text to the voice's provider) only while the user has granted that sharing.
 */
export function localVoices(): SpeechSynthesisVoice[] {
  if (!('speechSynthesis' in window)) return [];
  const online = consentGranted('network-voices');
  return window.speechSynthesis.getVoices().filter((v) => v.localService || online);
}

/** Markdown marks read as punctuation are left out; the words are what is read. */
export function speakable(text: string): string {
  return text.replace(/[*_~`#>]+/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/\s+/g, ' ').trim();
}

export function speak(text: string, voiceName: string | undefined, onEnd: () => void): void {
  const synth = window.speechSynthesis;
  synth.cancel();
  const u = new SpeechSynthesisUtterance(speakable(text));
  const voice = localVoices().find((v) => v.name === voiceName) ?? localVoices()[0];
  if (voice) {
    u.voice = voice;
    u.lang = voice.lang;
  }
  u.onend = onEnd;
  u.onerror = onEnd;
  synth.speak(u);
}
