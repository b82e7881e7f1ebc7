/**
 * A conversation's author's note (text, depth, role, how often) and its own lorebooks, folded away under the chat
 * header. The note is saved when the user says so; lorebooks as they are ticked.
 */
import { useEffect, useState } from 'react';
import type { ConversationInfo } from '../../shared/api/conversation.std.ts';
import type { AuthorsNote } from '../../shared/domain.std.ts';
import { CheckField } from '../components/fields.dom.tsx';
import { AuthorsNoteFields, blankNote } from '../components/authors-note-fields.dom.tsx';
import { call, messageOf } from '../lib/api.dom.ts';
import { useChat } from '../stores/chat.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';

export function ChatLore({ conversation }: { conversation: ConversationInfo }) {
  const books = useLibrary((s) => s.entries).filter((e) => e.kind === 'lorebook');
  const setError = useChat((s) => s.setError);
  const [note, setNote] = useState<AuthorsNote>(conversation.authorsNote ?? blankNote);
  const saved = JSON.stringify(conversation.authorsNote ?? blankNote);
  useEffect(() => setNote(conversation.authorsNote ?? blankNote), [conversation.id, conversation.authorsNote]);
  const update = (patch: { authorsNote?: AuthorsNote; lorebookIds?: string[] }) =>
    void call('conversation.update', { id: conversation.id, patch }).catch((e: unknown) => setError(messageOf(e)));
  // A deleted book may still be named by the conversation: leave it out, so saving does not name a missing record.
  const stored = (conversation.lorebookIds ?? []).filter((id) => books.some((b) => b.id === id));
  // Ticked at once; the stored list catches up through the conversation's change event.
  const [chatBooks, setChatBooks] = useState(stored);
  const storedKey = stored.join(',');
  // storedKey stands for `stored` (a new array every render).
  useEffect(() => setChatBooks(storedKey ? storedKey.split(',') : []), [storedKey]);
  const pick = (next: string[]) => {
    setChatBooks(next);
    update({ lorebookIds: next });
  };
  return (
    <details className="chat-lore">
      <summary>Author&apos;s note and lorebooks</summary>
      <AuthorsNoteFields label="Author's note" hint="Inserted into the chat near the end, to steer the next replies." note={note} onChange={setNote}>
        <button type="button" aria-label="Save note" disabled={JSON.stringify(note) === saved} onClick={() => update({ authorsNote: note })}>
          Save note
        </button>
      </AuthorsNoteFields>
      <p className="hint">Lorebooks of this chat{books.length === 0 ? ': none yet — create one in the library.' : ':'}</p>
      <div className="checks">
        {books.map((b) => (
          <CheckField key={b.id} label={b.title || 'Untitled'} checked={chatBooks.includes(b.id)} onChange={(on) => pick(on ? [...chatBooks, b.id] : chatBooks.filter((x) => x !== b.id))} />
        ))}
      </div>
    </details>
  );
}
