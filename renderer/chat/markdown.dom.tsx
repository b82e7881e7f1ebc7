/**
 * A message body. Text is untrusted (cards and replies come from strangers and models): it is rendered by
 * rich-text/render.dom.ts (Markdown + a sanitised HTML subset) into this element directly, so React never sees
 * it as markup. Links open only after the user confirms the real address, in the system browser; images from the
 * vault's own assets are decrypted into blob: URLs.
 */
import { memo, useLayoutEffect, useRef, type MouseEvent } from 'react';
import { confirmDialog } from '../components/dialog.dom.tsx';
import { assetUrl } from '../components/avatar.dom.tsx';
import { renderMessage } from './rich-text/render.dom.ts';
import { linkTarget } from './rich-text/rules.std.ts';
import './rich-text/rich-text.css';

function onLinkClick(e: MouseEvent<HTMLDivElement>): void {
  const a = (e.target as Element).closest('a');
  if (!a || !e.currentTarget.contains(a)) return;
  e.preventDefault();
  const target = linkTarget(a.getAttribute('href'));
  if (!target) return;
  void confirmDialog({ title: 'Open this link?', body: `It opens in your browser: ${target}`, confirm: 'Open link' }).then((ok) => ok && window.open(target, '_blank', 'noopener,noreferrer'));
}

export const MessageText = memo(function MessageText({ text }: { text: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.replaceChildren(renderMessage(text));
    let live = true;
    for (const img of el.querySelectorAll<HTMLImageElement>('img[data-ms-asset]')) {
      const id = img.getAttribute('data-ms-asset')!;
      void assetUrl(id).then((url) => {
        if (live && url) img.src = url;
      });
    }
    return () => {
      live = false;
    };
  }, [text]);
  return <div className="md" ref={ref} onClick={onLinkClick} />;
});
