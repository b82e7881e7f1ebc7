/**
 * Shared editor state: load a record (or start blank), keep a draft, report dirtiness to the nav store so leaving
 * asks first, and save as create-or-update. The draft is compared with what was loaded, so undoing an edit by hand
 * makes the editor clean again.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { call, messageOf } from '../lib/api.dom.ts';
import { useNav } from '../stores/nav.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';

type Kind = 'character' | 'scenario' | 'persona' | 'lorebook';

interface Editor<T> {
  draft: T | null;
  set<K extends keyof T>(key: K, value: T[K]): void;
  /** Takes a value the core already stored (e.g. a new avatar) without marking the editor dirty. */
  adopt<K extends keyof T>(key: K, value: T[K]): void;
  /** The record's id once it exists in the vault. */
  id: string | null;
  dirty: boolean;
  saving: boolean;
  error: string | null;
  save(): Promise<void>;
}

const meta = ['id', 'createdAt', 'updatedAt'];
function strip<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([k]) => !meta.includes(k))) as T;
}

export function useEditor<T extends object>(kind: Kind, id: string | null, blank: T): Editor<T> {
  const [draft, setDraft] = useState<T | null>(id ? null : blank);
  const [saved, setSaved] = useState<string>(id ? '' : JSON.stringify(blank));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const currentId = useRef(id);
  const setDirty = useNav((s) => s.setDirty);
  const navigate = useNav((s) => s.navigate);

  useEffect(() => {
    if (!id) return;
    let live = true;
    const get = kind === 'character' ? call('character.get', { id }) : kind === 'scenario' ? call('scenario.get', { id }) : kind === 'lorebook' ? call('lorebook.get', { id }) : call('persona.get', { id });
    get.then(
      (r) => {
        if (!live) return;
        const fields = strip(r) as unknown as T;
        setDraft(fields);
        setSaved(JSON.stringify(fields));
      },
      (e) => live && setError(messageOf(e)),
    );
    return () => {
      live = false;
    };
  }, [kind, id]);

  const dirty = draft !== null && JSON.stringify(draft) !== saved;
  useEffect(() => setDirty(dirty), [dirty, setDirty]);
  useEffect(() => () => setDirty(false), [setDirty]);

  const set = useCallback(<K extends keyof T>(key: K, value: T[K]) => {
    setDraft((d) => (d ? { ...d, [key]: value } : d));
  }, []);

  const adopt = useCallback(<K extends keyof T>(key: K, value: T[K]) => {
    setDraft((d) => (d ? { ...d, [key]: value } : d));
    setSaved((prev) => (prev ? JSON.stringify({ ...(JSON.parse(prev) as T), [key]: value }) : prev));
  }, []);

  const save = async () => {
    if (!draft) return;
    setSaving(true);
    setError(null);
    try {
      const fields = draft as never;
      if (currentId.current) {
        const cid = currentId.current;
        if (kind === 'character') await call('character.update', { id: cid, patch: fields });
        else if (kind === 'scenario') await call('scenario.update', { id: cid, patch: fields });
        else if (kind === 'lorebook') await call('lorebook.update', { id: cid, patch: fields });
        else await call('persona.update', { id: cid, patch: fields });
      } else {
        const r =
          kind === 'character'
            ? await call('character.create', fields)
            : kind === 'scenario'
              ? await call('scenario.create', fields)
              : kind === 'lorebook'
                ? await call('lorebook.create', fields)
                : await call('persona.create', fields);
        currentId.current = r.id;
      }
      setSaved(JSON.stringify(draft));
      setDirty(false);
      void useLibrary.getState().load();
      // Keep the URL-less nav in step so the editor now edits the saved record.
      if (id === null && currentId.current) navigate({ name: kind, id: currentId.current });
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setSaving(false);
    }
  };

  return { draft, set, adopt, id: currentId.current, dirty, saving, error, save };
}
