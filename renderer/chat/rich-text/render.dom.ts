/**
 * Message text → safe DOM. Markdown (GFM, single line breaks kept, as role-play text is written) is turned into
 * HTML by marked, then DOMPurify cleans it against an allow-list: layout and text elements, tables,
 * details/summary, legacy <font>; no scripts, handlers, forms, frames, SVG/MathML, <style>, classes or ids.
 * DOMPurify parses in an inert document, so nothing loads while it works.
 *
 * Two things the page's CSP would refuse are carried across by hand, after checks of our own:
 * - inline styles: only declarations `isSafeDeclaration` accepts survive, and they are applied through the CSSOM
 *   (the CSP forbids style attributes in markup, not style set from script);
 * - images: only `asset:<id>` sources (the vault's own encrypted assets) become images, fetched through the API;
 *   any other image becomes its alt text, so a remote image is never requested.
 * Quoted speech is wrapped for styling afterwards, outside code.
 */
import DOMPurify, { type DOMPurify as Purifier } from 'dompurify';
import { Marked } from 'marked';
import { assetIdOf, linkTarget, splitDialogue } from './rules.std.ts';
import { isSafeDeclaration } from './safe-css.std.ts';

const marked = new Marked({ gfm: true, breaks: true, async: false });

const TAGS = [
  'p', 'br', 'hr', 'div', 'span', 'section', 'article', 'aside', 'header', 'footer', 'figure', 'figcaption', 'center',
  'b', 'strong', 'i', 'em', 'u', 's', 'strike', 'del', 'ins', 'mark', 'small', 'big', 'sub', 'sup', 'font', 'abbr', 'cite', 'q', 'dfn', 'kbd', 'samp', 'var', 'time',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code',
  'ul', 'ol', 'li', 'dl', 'dt', 'dd',
  'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption', 'colgroup', 'col',
  'details', 'summary', 'ruby', 'rt', 'rp', 'a', 'img', 'meter', 'progress',
];
const ATTRS = ['href', 'title', 'alt', 'src', 'colspan', 'rowspan', 'span', 'align', 'valign', 'width', 'height', 'open', 'color', 'size', 'face', 'start', 'reversed', 'type', 'value', 'min', 'max', 'low', 'high', 'optimum', 'datetime', 'lang', 'dir'];

/**
 * The page's CSP applies even to DOMPurify's inert parse: a style attribute or <style> element in it is refused
 * there with a console report. So before parsing, style attributes are renamed (and checked like any style by the
 * hook), <style> elements become an element dropped with its content, and on… handlers data attributes. A miss only means one more refused
 * style: nothing gets through this way that the allow-list would not let through.
 */
const STYLE_IN = 'data-ms-style';
const styleAttr = /(<[a-z][^<>]*?\s)style(\s*=)/gi;
const styleTag = /<(\/?)style\b/gi;
/** Event handler attributes, for the same reason: renamed to a data attribute, which the hook drops. */
const handlerAttr = /(<[a-z][^<>]*?\s)on([a-z]+\s*=)/gi;

/** Attributes this module sets itself after its own checks; any that arrive in the text are dropped. */
const CSS = 'data-ms-css';
const ASSET = 'data-ms-asset';

let purifier: Purifier | null = null;

function getPurifier(): Purifier {
  if (purifier) return purifier;
  const p = DOMPurify(window);
  const scratch = document.createElement('div').style;
  const styles = new WeakMap<Node, string>();
  const assets = new WeakMap<Node, string>();
  p.addHook('uponSanitizeAttribute', (node, data) => {
    if (data.attrName === STYLE_IN) {
      // Parsed by the browser's own CSS parser (on a detached element), so what is checked is what would apply.
      scratch.cssText = data.attrValue;
      const kept: [string, string, string][] = [];
      for (let i = 0; i < scratch.length; i++) {
        const prop = scratch.item(i);
        const value = scratch.getPropertyValue(prop);
        if (isSafeDeclaration(prop, value)) kept.push([prop, value, scratch.getPropertyPriority(prop)]);
      }
      if (kept.length) styles.set(node, JSON.stringify(kept));
      data.keepAttr = false;
    } else if (data.attrName === 'src') {
      const id = node.nodeName === 'IMG' ? assetIdOf(data.attrValue) : null;
      if (id) assets.set(node, id);
      data.keepAttr = false;
    } else if (data.attrName === 'href') {
      const target = linkTarget(data.attrValue);
      if (target) data.attrValue = target;
      else data.keepAttr = false;
    } else if (data.attrName.startsWith('data-')) {
      data.keepAttr = false;
    }
  });
  p.addHook('afterSanitizeAttributes', (node) => {
    const css = styles.get(node);
    if (css) node.setAttribute(CSS, css);
    const asset = assets.get(node);
    if (asset) node.setAttribute(ASSET, asset);
  });
  purifier = p;
  return p;
}

/** Renders message text into a fragment ready to insert; images still to load carry `data-ms-asset`. */
export function renderMessage(text: string): DocumentFragment {
  let html = (marked.parse(text) as string).replace(styleTag, '<$1ms-style');
  // One rename per tag per pass: repeat for tags with several (a bounded number of passes; a miss is only noise).
  for (let pass = 0; pass < 8; pass++) {
    const next = html.replace(styleAttr, `$1${STYLE_IN}$2`).replace(handlerAttr, '$1data-ms-on$2');
    if (next === html) break;
    html = next;
  }
  const fragment = getPurifier().sanitize(html, {
    ALLOWED_TAGS: TAGS,
    ALLOWED_ATTR: [...ATTRS, CSS, ASSET],
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    // Both sources are checked by the hook above; DOMPurify's own URI check would drop `asset:`.
    ADD_URI_SAFE_ATTR: [],
    KEEP_CONTENT: true,
    ADD_FORBID_CONTENTS: ['ms-style'],
    RETURN_DOM_FRAGMENT: true,
  });
  for (const el of fragment.querySelectorAll<HTMLElement>(`[${CSS}]`)) {
    const css = JSON.parse(el.getAttribute(CSS) ?? '[]') as [string, string, string][];
    el.removeAttribute(CSS);
    for (const [prop, value, priority] of css) el.style.setProperty(prop, value, priority);
  }
  for (const img of fragment.querySelectorAll('img')) {
    if (img.hasAttribute(ASSET)) continue;
    const alt = img.getAttribute('alt');
    const stand = document.createElement('span');
    stand.className = 'md-img';
    stand.textContent = `[image${alt ? `: ${alt}` : ''}]`;
    img.replaceWith(stand);
  }
  for (const a of fragment.querySelectorAll('a')) {
    a.rel = 'noopener noreferrer nofollow';
    a.referrerPolicy = 'no-referrer';
  }
  markDialogue(fragment);
  return fragment;
}

function markDialogue(root: DocumentFragment): void {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement?.closest('code, pre, .md-img') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const texts: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) texts.push(n as Text);
  for (const t of texts) {
    const parts = splitDialogue(t.data);
    if (!parts.some((s) => s.speech)) continue;
    t.replaceWith(
      ...parts.map((s) => {
        if (!s.speech) return s.text;
        const q = document.createElement('span');
        q.className = 'md-speech';
        q.textContent = s.text;
        return q;
      }),
    );
  }
}
