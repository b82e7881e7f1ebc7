/**
 * The prompt inspector in the chat: what the next reply would send — each part labelled with its tokens, the lore
 * that fired and why, the budget — counted with the tokenizer the request is counted with. Nothing is sent.
 */
import { useCallback, useEffect, useState } from 'react';
import type { PromptInspection } from '../../shared/api/chat.std.ts';
import { call, messageOf, on } from '../lib/api.dom.ts';

const partNames: Record<string, string> = {
  main: 'System prompt, character, scenario, persona and lore',
  examples: 'Example dialogue',
  history: 'History',
  'post-history': 'Instructions after the history',
  'partial reply': 'Reply being continued',
  memory: 'Memory (summary of earlier messages)',
  alignment: 'Opening user turn (template)',
  'chat start': 'Chat start (template)',
  'reply start': 'Start of the reply (template)',
};

/** Without `messageId`, the next reply's prompt; with it, the prompt that past reply was made from. */
export function PromptInspector({ conversationId, messageId, onClose }: { conversationId: string; messageId?: string; onClose(): void }) {
  const [p, setP] = useState<PromptInspection | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    call('chat.prompt', { conversationId, ...(messageId ? { messageId } : {}) }).then(
      (r) => {
        setP(r);
        setError(null);
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, [conversationId, messageId]);
  useEffect(() => {
    load();
    // Counted again when the conversation, its preset or provider changes.
    const offChanged = on('conversation.changed', (e) => e.conversationId === conversationId && load());
    const offRecords = on('records.changed', (e) => e.ids.includes(conversationId) && load());
    return () => {
      offChanged();
      offRecords();
    };
  }, [conversationId, load]);

  const b = p?.budget;
  const parts = p?.text ? p.text.pieces.map((x) => ({ part: x.part, role: x.role, tokens: x.tokens, content: x.text })) : (p?.messages ?? []);
  return (
    <section className="inspector" aria-label="Prompt inspector">
      <div className="inspector-head">
        <h2>{messageId ? 'What this reply was made from' : 'What the next reply sends'}</h2>
        <button type="button" onClick={load}>
          Refresh
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {b ? (
        <>
          <p className="inspector-total" role="status">
            <strong>{b.used.toLocaleString()}</strong> of {b.available.toLocaleString()} tokens ({b.contextWindow.toLocaleString()} context − {b.maxTokens.toLocaleString()} for the
            reply) · {b.estimate ? 'estimated: no tokenizer is known for this model' : `counted with the ${b.tokenizer} tokenizer`}
            {b.provider ? ` · ${b.provider}, ${b.model}` : ' · no provider yet'}
          </p>
          {messageId ? <p className="muted small">Rebuilt from the messages before this reply, with the character, lorebooks and preset as they are now.</p> : null}
          <p className="muted small">
            History: {b.historyIncluded} message{b.historyIncluded === 1 ? '' : 's'} kept, {b.historyDropped} left out for space.
            {b.overBudget ? ' Over the budget: the newest message alone does not fit.' : ''}
            {p?.text ? ` Sent as one prompt in the ${p.text.instruct} format (${p.text.context} context); it stops at ${p.text.stop.length} stop strings.` : ''}
          </p>
          {p?.memory ? (
            <p className="muted small">
              Memory, {p.memory.position === 'depth' ? `in the chat ${p.memory.depth} messages from the end as ${p.memory.role}` : p.memory.position === 'before_char' ? 'before the character' : 'after the character'}, {p.memory.tokens} tokens — {p.memory.reason.replace(/^memory: /, '')}.
            </p>
          ) : null}
          {p && p.lore.length > 0 ? (
            <ul className="small inspector-lore" aria-label="Lore entries">
              {p.lore.map((l) => (
                <li key={l.entry}>
                  Lore: <strong>{l.entry}</strong> — {l.reason}
                </li>
              ))}
            </ul>
          ) : null}
          <ol className="inspector-parts">
            {parts.map((m, i) => (
              <li key={i}>
                <details>
                  <summary>
                    {partNames[m.part] ?? m.part} · {m.role} · <span className="tokens">{m.tokens} tokens</span>
                  </summary>
                  <pre>{m.content}</pre>
                </details>
              </li>
            ))}
          </ol>
        </>
      ) : error ? null : (
        <p className="muted" role="status">
          Counting…
        </p>
      )}
    </section>
  );
}
