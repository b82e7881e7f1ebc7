/**
 * "Generate portrait": asks the first provider with an images endpoint for a picture of the character and stores it
 * as the avatar (chat.generatePortrait). Disabled, with the reason, until the character is saved and a provider exists.
 */
import { useEffect, useState } from 'react';
import { call, messageOf } from '../lib/api.dom.ts';
import { useNav } from '../stores/nav.dom.ts';
import { TextField, ErrorLine } from '../components/fields.dom.tsx';

export function GeneratePortrait(p: { recordId: string | null; onGenerated(assetId: string): void }) {
  const [providers, setProviders] = useState<number | null>(null);
  const [prompt, setPrompt] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const navigate = useNav((s) => s.navigate);
  useEffect(() => {
    void call('provider.list', {}).then(
      (list) => setProviders(list.length),
      () => setProviders(0),
    );
  }, []);
  const why = !p.recordId ? 'Save the character first.' : providers === 0 ? 'Add an AI provider first: portraits are made by a provider with an images endpoint.' : null;
  const generate = async () => {
    if (!p.recordId) return;
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      const { assetId } = await call('chat.generatePortrait', { characterId: p.recordId, ...(prompt.trim() ? { prompt: prompt.trim() } : {}) });
      p.onGenerated(assetId);
      setDone(true);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="portrait">
      <TextField label="What the portrait should show (optional)" value={prompt} onChange={setPrompt} hint="Left empty, the character’s description is used. It is sent to the provider." />
      <button type="button" disabled={busy || why !== null || providers === null} onClick={() => void generate()} aria-describedby={why ? 'portrait-why' : undefined}>
        {busy ? 'Generating…' : 'Generate portrait'}
      </button>
      {why ? (
        <p className="hint" id="portrait-why">
          {why}{' '}
          {providers === 0 ? (
            <button type="button" className="link" onClick={() => navigate({ name: 'providers' })}>
              Open Providers
            </button>
          ) : null}
        </p>
      ) : null}
      {done ? (
        <p className="ok small" role="status">
          New portrait saved as the picture.
        </p>
      ) : null}
      <ErrorLine text={error} small />
    </div>
  );
}
