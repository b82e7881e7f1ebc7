import { describe, expect, it } from 'vitest';
import { assetIdOf, linkTarget, splitDialogue } from './rules.std.ts';
import { isSafeDeclaration } from './safe-css.std.ts';

describe('message text rules', () => {
  it('splits quoted speech from narration, in every quote style, never across lines', () => {
    expect(splitDialogue('She nods. "Come in," she says.')).toEqual([
      { text: 'She nods. ', speech: false },
      { text: '"Come in,"', speech: true },
      { text: ' she says.', speech: false },
    ]);
    expect(splitDialogue('“Hi” and «salut» and 「やあ」').filter((s) => s.speech).map((s) => s.text)).toEqual(['“Hi”', '«salut»', '「やあ」']);
    expect(splitDialogue('"open\nnever closed"').every((s) => !s.speech)).toBe(true);
    expect(splitDialogue('no quotes')).toEqual([{ text: 'no quotes', speech: false }]);
  });

  it('opens only web and mail links, by their parsed address', () => {
    expect(linkTarget('https://example.com/a b')).toBe('https://example.com/a%20b');
    expect(linkTarget('https://еxample.com/')).toBe('https://xn--xample-2of.com/');
    expect(linkTarget('mailto:a@b.c')).toBe('mailto:a@b.c');
    for (const bad of ['javascript:alert(1)', ' JaVaScRiPt:x', 'data:text/html,x', 'file:///etc/passwd', 'vbscript:x', '/relative', '', null]) expect(linkTarget(bad)).toBeNull();
  });

  it('knows vault asset references and nothing else', () => {
    expect(assetIdOf('asset:0123456789abcdef0123456789abcdef')).toBe('0123456789abcdef0123456789abcdef');
    for (const bad of ['https://x/y.png', 'asset:123', 'asset:0123456789abcdef0123456789abcdef/../x', 'blob:x', 'data:image/png;base64,AA']) expect(assetIdOf(bad)).toBeNull();
  });

  it('keeps styling that stays inside the message and drops what escapes it or loads anything', () => {
    for (const [p, v] of [['color', 'red'], ['background-color', '#222'], ['border-top-left-radius', '8px'], ['display', 'flex'], ['grid-template-columns', '1fr 1fr'], ['font-family', 'Georgia'], ['background-image', 'linear-gradient(red, blue)'], ['margin-top', '4px'], ['max-width', '20rem']] as const)
      expect(isSafeDeclaration(p, v), `${p}: ${v}`).toBe(true);
    for (const [p, v] of [['position', 'fixed'], ['top', '0'], ['z-index', '9999'], ['transform', 'translate(0,-100vh)'], ['background-image', 'url(https://t.example/x.png)'], ['background-image', 'image-set("x.png" 1x)'], ['list-style-image', 'url(x)'], ['content', '"x"'], ['animation-name', 'spin'], ['font-family', '\\75 rl(x)'], ['display', 'contents'], ['cursor', 'url(x), auto'], ['behavior', 'url(x.htc)']] as const)
      expect(isSafeDeclaration(p, v), `${p}: ${v}`).toBe(false);
  });
});
