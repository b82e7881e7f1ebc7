/**
 * Asks, once per character, before a card's own regex scripts run: they rewrite what is shown and what is sent,
 * and they come from whoever made the card. Also loads the conversation's scripts for display.
 */
import { useEffect } from 'react';
import { useRegex } from '../stores/regex.dom.ts';
import { messageOf } from '../lib/api.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';
import './regex.css';

/** One constant empty list: a zustand selector must not return a new object each time. */
const none: never[] = [];

export function RegexConsent({ conversationId, version }: { conversationId: string; version?: unknown }) {
  const pending = useRegex((s) => (s.conversationId === conversationId ? s.pending : none));
  const load = useRegex((s) => s.load);
  const decide = useRegex((s) => s.decide);
  const toast = useLibrary((s) => s.toast);
  useEffect(() => {
    void load(conversationId).catch(() => undefined);
  }, [conversationId, version, load]);
  if (pending.length === 0) return null;
  return (
    <>
      {pending.map((p) => (
        <div key={p.characterId} className="banner regex-consent" role="region" aria-label={`Regex scripts from ${p.name}'s card`}>
          <span>
            {p.name}'s card has {p.count === 1 ? 'a regex script' : `${p.count} regex scripts`} that change how messages are shown and what is sent to the AI. Run {p.count === 1 ? 'it' : 'them'}?
          </span>
          <button type="button" className="primary" onClick={() => void decide(p.characterId, true).catch((e) => toast(messageOf(e), 'error'))}>
            Allow
          </button>
          <button type="button" onClick={() => void decide(p.characterId, false).catch((e) => toast(messageOf(e), 'error'))}>
            Don't run
          </button>
        </div>
      ))}
    </>
  );
}
