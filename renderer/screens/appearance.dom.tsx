/**
 * How the chat looks and sounds: message style, text size, reading width, the accent colour, and reading aloud
 * with the system's own voices (each character can have one: set on the character's page).
 */
import { useEffect, useId, useState } from 'react';
import { chatStyles, chatWidths } from '../../shared/api/chat.std.ts';
import { CheckField } from '../components/fields.dom.tsx';
import { messageOf } from '../lib/api.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';
import { usePrefs, type Prefs } from '../stores/prefs.dom.ts';
import { localVoices } from '../chat/story.dom.ts';
import { useConsents } from '../stores/consent.dom.ts';

const styleLabels: Record<Prefs['chatStyle'], string> = { bubbles: 'Bubbles', flat: 'Flat', document: 'Document (like a book)' };
const widthLabels: Record<Prefs['chatWidth'], string> = { narrow: 'Narrow', medium: 'Medium', wide: 'Wide' };

export function ChatAppearance() {
  const prefs = usePrefs((s) => s.prefs);
  const toast = useLibrary((s) => s.toast);
  const set = (patch: Partial<Prefs>) => void usePrefs.getState().update(patch).catch((e) => toast(messageOf(e), 'error'));
  const ids = { style: useId(), size: useId(), width: useId(), accent: useId() };
  const voices = useVoices();
  const online = useConsents((s) => s.list.find((c) => c.name === 'network-voices')?.granted ?? false);
  return (
    <section className="card" aria-labelledby="chat-look">
      <h2 id="chat-look">Chat appearance</h2>
      <div className="appearance">
        <div className="field">
          <label htmlFor={ids.style}>Message style</label>
          <select id={ids.style} value={prefs.chatStyle} onChange={(e) => set({ chatStyle: e.target.value as Prefs['chatStyle'] })}>
            {chatStyles.map((s) => (
              <option key={s} value={s}>
                {styleLabels[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.size}>Text size in chats ({prefs.fontSize} px)</label>
          <input id={ids.size} type="range" min={12} max={26} step={1} value={prefs.fontSize} onChange={(e) => set({ fontSize: Number(e.target.value) })} />
        </div>
        <div className="field">
          <label htmlFor={ids.width}>Chat width</label>
          <select id={ids.width} value={prefs.chatWidth} onChange={(e) => set({ chatWidth: e.target.value as Prefs['chatWidth'] })}>
            {chatWidths.map((w) => (
              <option key={w} value={w}>
                {widthLabels[w]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.accent}>Accent colour</label>
          <div className="row">
            <input id={ids.accent} type="color" value={prefs.accent || '#3b5bdb'} onChange={(e) => set({ accent: e.target.value })} />
            {prefs.accent ? (
              <button type="button" onClick={() => set({ accent: '' })}>
                Theme’s own accent
              </button>
            ) : null}
          </div>
        </div>
      </div>
      <CheckField
        label={
          online
            ? 'Offer “Read aloud” on messages (this computer’s voices, and online voices you allowed in Privacy: those send the text read to their provider)'
            : 'Offer “Read aloud” on messages (uses this computer’s own voices; nothing is sent anywhere)'
        }
        checked={prefs.readAloud}
        onChange={(v) => set({ readAloud: v })}
      />
      {prefs.readAloud && voices.length === 0 ? <p className="muted small">This system has no voices installed, so nothing can be read aloud yet.</p> : null}
    </section>
  );
}

/** The system's local voices; Chromium fills the list in after start-up, and says so with `voiceschanged`. */
export function useVoices(): SpeechSynthesisVoice[] {
  const [voices, setVoices] = useState<SpeechSynthesisVoice[]>(() => localVoices());
  // Granting or revoking online voices changes the list at once.
  const online = useConsents((s) => s.list.find((c) => c.name === 'network-voices')?.granted ?? false);
  useEffect(() => setVoices(localVoices()), [online]);
  useEffect(() => {
    if (!('speechSynthesis' in window)) return;
    const update = () => setVoices(localVoices());
    window.speechSynthesis.addEventListener('voiceschanged', update);
    update();
    return () => window.speechSynthesis.removeEventListener('voiceschanged', update);
  }, []);
  return voices;
}

/** A character's reading voice, on their page (shown when reading aloud is on). */
export function VoicePicker({ characterId, name }: { characterId: string; name: string }) {
  const prefs = usePrefs((s) => s.prefs);
  const toast = useLibrary((s) => s.toast);
  const voices = useVoices();
  const id = useId();
  if (!prefs.readAloud || voices.length === 0) return null;
  const choose = (voice: string) => {
    const next = { ...prefs.voices };
    if (voice) next[characterId] = voice;
    else delete next[characterId];
    void usePrefs.getState().update({ voices: next }).catch((e) => toast(messageOf(e), 'error'));
  };
  return (
    <div className="field inline">
      <label htmlFor={id}>Voice for {name}</label>
      <select id={id} value={prefs.voices[characterId] ?? ''} onChange={(e) => choose(e.target.value)}>
        <option value="">The system’s default</option>
        {voices.map((v) => (
          <option key={v.name} value={v.name}>
            {v.name} ({v.lang})
          </option>
        ))}
      </select>
    </div>
  );
}
