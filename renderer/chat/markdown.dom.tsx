/**
 * Message text is untrusted (cards and replies come from strangers and models). react-markdown builds React
 * elements, never innerHTML; `skipHtml` drops raw HTML outright; images never load (a remote image is a tracking
 * beacon) and show their alt text instead; links open only after the user confirms, in the system browser.
 */
import { memo } from 'react';
import Markdown, { type Components } from 'react-markdown';
import { confirmDialog } from '../components/dialog.dom.tsx';

function openLink(href: string | undefined): void {
  if (!href) return;
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return;
  const target = url.href;
  void confirmDialog({ title: 'Open this link?', body: `It opens in your browser: ${target}`, confirm: 'Open link' }).then((ok) => ok && window.open(target, '_blank', 'noopener,noreferrer'));
}

const components: Components = {
  img: ({ alt }) => <span className="md-img">[image{alt ? `: ${alt}` : ''}]</span>,
  a: ({ href, children }) => (
    <a
      href={href}
      rel="noopener noreferrer nofollow"
      referrerPolicy="no-referrer"
      onClick={(e) => {
        e.preventDefault();
        openLink(href);
      }}
    >
      {children}
    </a>
  ),
};

export const MessageText = memo(function MessageText({ text }: { text: string }) {
  return (
    <div className="md">
      <Markdown skipHtml components={components}>
        {text}
      </Markdown>
    </div>
  );
});
