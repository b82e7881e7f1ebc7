/** Per-conversation persona, provider and preset choice. */
import { useEffect, useId, useState } from 'react';
import type { ProviderView } from '../../shared/api/chat.std.ts';
import type { ConversationInfo } from '../../shared/api/conversation.std.ts';
import { call, messageOf } from '../lib/api.dom.ts';
import { PresetField } from '../components/preset-field.dom.tsx';
import { useChat } from '../stores/chat.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';
import { useNav } from '../stores/nav.dom.ts';

export function ChatPickers({ conversation }: { conversation: ConversationInfo }) {
  const personas = useLibrary((s) => s.entries).filter((e) => e.kind === 'persona');
  const setError = useChat((s) => s.setError);
  const [providers, setProviders] = useState<ProviderView[] | null>(null);
  const navigate = useNav((s) => s.navigate);
  const personaId = useId();
  const providerId = useId();

  useEffect(() => {
    void call('provider.list', {}).then(setProviders, () => setProviders([]));
  }, []);

  const update = (patch: { personaId?: string; provider?: string; preset?: string }) =>
    // The change comes back as a conversation.changed event; only a failure needs handling here.
    void call('conversation.update', { id: conversation.id, patch }).catch((e: unknown) => setError(messageOf(e)));

  return (
    <div className="pickers">
      <div className="field inline">
        <label htmlFor={personaId}>You play</label>
        <select id={personaId} value={conversation.personaId ?? ''} onChange={(e) => update({ personaId: e.target.value || undefined })}>
          <option value="">Default persona</option>
          {personas.map((p) => (
            <option key={p.id} value={p.id}>
              {p.title}
            </option>
          ))}
        </select>
      </div>
      <div className="field inline">
        <label htmlFor={providerId}>Provider</label>
        <select id={providerId} value={conversation.provider ?? ''} onChange={(e) => update({ provider: e.target.value || undefined })}>
          <option value="">First available</option>
          {(providers ?? []).map((p) => (
            <option key={p.name} value={p.name}>
              {p.name} · {p.model}
            </option>
          ))}
        </select>
      </div>
      <PresetField
        label="Preset"
        noneLabel="Provider's default"
        className="field inline"
        value={conversation.preset ?? ''}
        onChange={(v) => update({ preset: v || undefined })}
      />
      {providers?.length === 0 ? (
        <button type="button" className="link" onClick={() => navigate({ name: 'providers' })}>
          Add a provider to chat
        </button>
      ) : null}
    </div>
  );
}
