/**
 * Which inline CSS a message may keep. Cards' status panels style themselves with `style="…"`; what they may set is
 * an allow-list of longhand properties that change how the message's own box looks (colour, type, spacing, borders,
 * flex/grid layout). Nothing that takes the element out of the flow or over the app (position, inset, z-index,
 * transform, animation), and no value that can load anything (url(), image-set(), CSS escapes that could spell one).
 * The stylesheet also gives every message `contain: paint`, so even allowed values stay inside its box.
 */

const allowedProperty = new RegExp(
  '^(?:' +
    [
      'color',
      'opacity',
      'background-(?:color|image|position(?:-[xy])?|size|repeat(?:-[xy])?|clip|origin)',
      'font-(?:family|size|weight|style|variant(?:-[a-z-]+)?|stretch)',
      'line-height',
      '(?:letter|word)-spacing',
      'text-(?:align(?:-last)?|decoration(?:-[a-z-]+)?|transform|shadow|indent|overflow|wrap(?:-[a-z-]+)?|emphasis(?:-[a-z-]+)?|underline-offset)',
      'white-space(?:-collapse)?',
      'word-break',
      'overflow-wrap',
      'hyphens',
      'vertical-align',
      'direction',
      'unicode-bidi',
      'writing-mode',
      'border(?:-(?:top|right|bottom|left|block|inline)(?:-(?:start|end))?)?-(?:color|style|width)',
      'border-(?:top|bottom|start|end)-(?:left|right|start|end)-radius',
      'border-(?:collapse|spacing)',
      'outline-(?:color|style|width|offset)',
      '(?:margin|padding)-(?:top|right|bottom|left|block-start|block-end|inline-start|inline-end)',
      '(?:min-|max-)?(?:width|height)',
      'box-sizing',
      'box-shadow',
      'display',
      'flex-(?:direction|wrap|grow|shrink|basis)',
      'order',
      '(?:row-|column-)?gap',
      'grid-(?:template-(?:columns|rows|areas)|auto-(?:columns|rows|flow)|(?:column|row)-(?:start|end))',
      '(?:align|justify)-(?:content|items|self)',
      'list-style-(?:type|position)',
      'table-layout',
      'caption-side',
      'empty-cells',
      'overflow(?:-[xy])?',
      'float',
      'clear',
      'cursor',
      'visibility',
    ].join('|') +
    ')$',
);

/** Anything that could fetch (url(), image-set(), element(), paint worklets) or be spelled through an escape. */
const loadingValue = /url\s*\(|image-set|image\s*\(|element\s*\(|cross-fade|paint\s*\(|expression|@import|\\|javascript:/i;

/** A value for `display` or `visibility` that hides a box is fine; `display: contents` would hoist children. */
const badKeyword: Record<string, RegExp> = { display: /contents/i, cursor: /none/i };

export function isSafeDeclaration(property: string, value: string): boolean {
  const p = property.trim().toLowerCase();
  if (!allowedProperty.test(p)) return false;
  if (loadingValue.test(value)) return false;
  const bad = badKeyword[p];
  return !(bad && bad.test(value));
}
