/**
 * Avatars are encrypted assets: fetched through the API, shown from a blob: URL that lives only in this window,
 * and revoked when the vault locks. Without one, the name's initials stand in.
 */
import { useEffect, useState } from 'react';
import { call } from '../lib/api.dom.ts';
import { base64ToBytes } from '../lib/bytes.dom.ts';
import { onPlaintextDrop } from '../stores/reset.dom.ts';

const urls = new Map<string, Promise<string | null>>();

export function assetUrl(assetId: string): Promise<string | null> {
  let p = urls.get(assetId);
  if (!p) {
    p = call('assets.get', { id: assetId })
      .then(({ mime, bytesBase64 }) => URL.createObjectURL(new Blob([base64ToBytes(bytesBase64)], { type: mime })))
      .catch(() => null);
    urls.set(assetId, p);
  }
  return p;
}

onPlaintextDrop(() => {
  for (const p of urls.values()) void p.then((u) => u && URL.revokeObjectURL(u));
  urls.clear();
});

export function initials(name: string): string {
  const parts = name.replace(/[^\p{L}\p{N}\s]/gu, ' ').trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts.at(-1)?.[0] ?? '') : '')).toUpperCase();
}

export function Avatar({ name, assetId, size = 'md' }: { name: string; assetId?: string | undefined; size?: 'sm' | 'md' | 'lg' | 'portrait' | 'story' }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setUrl(null);
    if (assetId) void assetUrl(assetId).then((u) => live && setUrl(u));
    return () => {
      live = false;
    };
  }, [assetId]);
  return (
    // Initials are drawn by CSS (attr()), not text: a button holding an avatar then shows no text its name lacks.
    <span className={`avatar avatar-${size}`} aria-hidden="true" data-initials={url ? undefined : initials(name)}>
      {url ? <img src={url} alt="" /> : null}
    </span>
  );
}
