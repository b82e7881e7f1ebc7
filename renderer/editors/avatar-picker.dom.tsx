/** Shows a record's avatar and lets the user pick a new image; the image is stored encrypted by the core. */
import { useRef, useState } from 'react';
import { call, messageOf } from '../lib/api.dom.ts';
import { fileToBase64 } from '../lib/bytes.dom.ts';
import { Avatar } from '../components/avatar.dom.tsx';
import { ErrorLine } from '../components/fields.dom.tsx';

const types = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;
type ImageType = (typeof types)[number];

export function AvatarPicker(p: { recordId: string | null; kind: 'character' | 'persona'; name: string; assetId: string | undefined; onChange(assetId: string): void }) {
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const pick = async (file: File) => {
    setError(null);
    if (!p.recordId) return;
    if (!types.includes(file.type as ImageType)) return setError('Choose a PNG, JPEG, WebP or GIF image.');
    try {
      const { assetId } = await call('assets.setAvatar', { recordId: p.recordId, kind: p.kind, mime: file.type as ImageType, bytesBase64: await fileToBase64(file) });
      p.onChange(assetId);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <div className="avatar-picker">
      <Avatar name={p.name || '?'} assetId={p.assetId} size="lg" />
      <input ref={input} type="file" accept={types.join(',')} hidden onChange={(e) => e.target.files?.[0] && void pick(e.target.files[0]).then(() => (e.target.value = ''))} />
      <button type="button" disabled={!p.recordId} onClick={() => input.current?.click()} title={p.recordId ? undefined : 'Save first to add a picture'}>
        {p.assetId ? 'Change picture…' : 'Add picture…'}
      </button>
      {!p.recordId ? <p className="hint">Save first to add a picture.</p> : null}
      <ErrorLine text={error} small />
    </div>
  );
}
