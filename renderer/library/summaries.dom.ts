/**
 * What the library shows of each character or persona beyond its catalog entry: portrait, tags, creator and the
 * first line of the description. Fetched once per record version (the catalog's updatedAt) and kept only while
 * the vault is open.
 */
import { useEffect, useState } from 'react';
import type { CatalogEntry } from '../../shared/domain.std.ts';
import { call } from '../lib/api.dom.ts';
import { onPlaintextDrop } from '../stores/reset.dom.ts';

export interface Summary {
  avatar?: string;
  tags: string[];
  creator: string;
  /** The description's first non-empty line, shortened. */
  line: string;
}

const cache = new Map<string, Promise<Summary | null>>();
onPlaintextDrop(() => cache.clear());

const firstLine = (text: string) => {
  const line = text.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
  return line.length > 160 ? `${line.slice(0, 157).trimEnd()}…` : line;
};

function summaryOf(entry: CatalogEntry): Promise<Summary | null> {
  const key = `${entry.id}:${entry.updatedAt}`;
  let p = cache.get(key);
  if (!p) {
    p = (
      entry.kind === 'character'
        ? call('character.get', { id: entry.id }).then((c) => ({ avatar: c.avatar_asset, tags: c.tags, creator: c.creator, line: firstLine(c.description) }))
        : call('persona.get', { id: entry.id }).then((c) => ({ avatar: c.avatar_asset, tags: [], creator: '', line: firstLine(c.description) }))
    )
      .then(({ avatar, ...rest }) => ({ ...rest, ...(avatar ? { avatar } : {}) }))
      .catch(() => null);
    cache.set(key, p);
  }
  return p;
}

/** Summaries of the characters and personas among `entries`, by id (filled in as they arrive). */
export function useSummaries(entries: CatalogEntry[]): Map<string, Summary> {
  const [map, setMap] = useState(new Map<string, Summary>());
  const key = entries
    .filter((e) => e.kind === 'character' || e.kind === 'persona')
    .map((e) => `${e.id}:${e.updatedAt}`)
    .join(',');
  useEffect(() => {
    let live = true;
    const wanted = entries.filter((e) => e.kind === 'character' || e.kind === 'persona');
    void Promise.all(wanted.map(async (e) => [e.id, await summaryOf(e)] as const)).then((pairs) => {
      if (live) setMap(new Map(pairs.filter((p): p is readonly [string, Summary] => p[1] !== null)));
    });
    return () => {
      live = false;
    };
    // `key` identifies `entries` (ids and versions); a new array with the same records is no reason to refetch.
  }, [key]);
  return map;
}
