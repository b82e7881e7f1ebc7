/**
 * Role-play convention: "spoken words" in quotes stand out from narration (SillyTavern colours them). Splits a run
 * of text into narration and quoted speech; straight, curly and guillemet quotes, never across a line break. The
 * pattern has no nested quantifiers, so it is linear in the text.
 */
export interface Segment {
  text: string;
  speech: boolean;
}

const quoted = /"[^"\n]+"|\u201c[^\u201d\n]+\u201d|\u00ab[^\u00bb\n]+\u00bb|\u300c[^\u300d\n]+\u300d/g;

export function splitDialogue(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(quoted)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index), speech: false });
    out.push({ text: m[0], speech: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), speech: false });
  return out;
}

/** Only web and mail links open (in the system browser); the address shown is the parsed one, not the link text. */
export function linkTarget(href: string | null | undefined): string | null {
  if (!href) return null;
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  return url.protocol === 'https:' || url.protocol === 'http:' || url.protocol === 'mailto:' ? url.href : null;
}

/** Vault assets are named `asset:<32 hex>` in message HTML; anything else is not an image we load. */
export function assetIdOf(src: string | null | undefined): string | null {
  const m = /^\s*asset:([0-9a-f]{32})\s*$/.exec(src ?? '');
  return m ? m[1]! : null;
}
