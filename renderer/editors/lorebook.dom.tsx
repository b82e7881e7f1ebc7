/**
 * Lorebook entries with every World Info field SillyTavern has: primary and secondary keys with their logic,
 * regex / case / whole-word matching, constant, probability, position (before/after the character, around the
 * author's note or the examples, or at a depth with a role), order, timed effects, inclusion groups, scan depth and
 * the recursion flags, and which characters an entry is for. SillyTavern's fields live in the entry's `extensions`, named as SillyTavern's
 * convertCharacterBook reads them, so a card's book and a World Info file keep them; unknown fields are kept as is.
 */
import { useId, type ReactNode } from 'react';
import type { LoreEntry, Lorebook } from '../../shared/domain.std.ts';
import { CheckField, CommaField, TextField } from '../components/fields.dom.tsx';

const positions = [
  ['before_char', 'Before the character'],
  ['after_char', 'After the character'],
  ['an_top', "Top of the author's note"],
  ['an_bottom', "Bottom of the author's note"],
  ['depth', 'In the chat, at a depth'],
  ['em_top', 'Before the example dialogue'],
  ['em_bottom', 'After the example dialogue'],
] as const;
type Position = (typeof positions)[number][0];
const logics = [
  ['0', 'any of them (AND ANY)'],
  ['3', 'all of them (AND ALL)'],
  ['2', 'none of them (NOT ANY)'],
  ['1', 'not all of them (NOT ALL)'],
] as const;
const roles = ['system', 'user', 'assistant'] as const;

const blankEntry = (order: number): LoreEntry => ({ keys: [], content: '', extensions: { position: 0 }, enabled: true, insertion_order: order, constant: false, position: 'before_char' });

function positionOf(e: LoreEntry): Position {
  const st = e.extensions['position'];
  if (typeof st === 'number' && positions[st]) return positions[st][0];
  return e.position ?? 'before_char';
}
const num = (e: LoreEntry, k: string, d: number): number => (typeof e.extensions[k] === 'number' ? (e.extensions[k] as number) : d);
const bool = (e: LoreEntry, k: string): boolean => e.extensions[k] === true;
/** SillyTavern's characterFilter, as kept in `extensions.character_filter`. */
function filterOf(e: LoreEntry): { isExclude: boolean; names: string[]; tags: string[] } {
  const f = e.extensions['character_filter'];
  const o = typeof f === 'object' && f !== null ? (f as Record<string, unknown>) : {};
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { isExclude: o['isExclude'] === true, names: list(o['names']), tags: list(o['tags']) };
}

export function LorebookEditor({ book, onChange }: { book: Lorebook | undefined; onChange(book: Lorebook | undefined): void }) {
  const entries = book?.entries ?? [];
  const setEntries = (next: LoreEntry[]) => onChange({ ...(book ?? { extensions: {} }), entries: next } as Lorebook);
  const update = (i: number, patch: Partial<LoreEntry>) => setEntries(entries.map((e, j) => (j === i ? { ...e, ...patch } : e)));
  const ext = (i: number, patch: Record<string, unknown>) => setEntries(entries.map((e, j) => (j === i ? { ...e, extensions: { ...e.extensions, ...patch } } : e)));
  return (
    <fieldset className="list-field lorebook">
      <legend>Lorebook entries</legend>
      <p className="hint">An entry goes into the prompt when one of its keywords appears in recent messages (or always, if constant).</p>
      {entries.map((entry, i) => {
        const n = i + 1;
        const position = positionOf(entry);
        const label = entry.name || entry.comment || entry.keys.slice(0, 3).join(', ');
        return (
          <fieldset key={i} className="lore-entry">
            <legend>
              Entry {n}
              {label ? `: ${label}` : ''}
            </legend>
            <TextField label={`Title of entry ${n}`} value={entry.name ?? entry.comment ?? ''} onChange={(name) => update(i, { name, comment: name })} />
            <CommaField label={`Keys for entry ${n}`} values={entry.keys} onChange={(keys) => update(i, { keys })} hint="Separate with commas. Write /pattern/flags for a regular expression." />
            <TextField label={`Content of entry ${n}`} value={entry.content} multiline rows={3} onChange={(content) => update(i, { content })} />
            <div className="row">
              <CheckField label="Enabled" name={`Entry ${n} enabled`} checked={entry.enabled} onChange={(enabled) => update(i, { enabled })} />
              <CheckField label="Constant (always included)" name={`Entry ${n} constant (always included)`} checked={entry.constant ?? false} onChange={(constant) => update(i, { constant })} />
              <Select n={n} what="position" label="Position" value={position} options={positions} onChange={(p) => {
                const at = positions.findIndex(([v]) => v === p);
                update(i, { position: p === 'before_char' ? 'before_char' : 'after_char', extensions: { ...entry.extensions, position: at } });
              }} />
              {position === 'depth' ? (
                <>
                  <NumberInput n={n} what="depth" label="Depth" value={num(entry, 'depth', 4)} min={0} onChange={(v) => ext(i, { depth: v ?? 4 })} />
                  <Select n={n} what="role" label="As" value={roles[num(entry, 'role', 0)] ?? 'system'} options={roles.map((r) => [r, r] as const)} onChange={(r) => ext(i, { role: roles.indexOf(r) })} />
                </>
              ) : null}
              <NumberInput n={n} what="order" label="Order" value={entry.insertion_order} onChange={(v) => update(i, { insertion_order: v ?? 0 })} />
            </div>
            <details className="lore-more">
              <summary>Matching, chance, timing, groups and recursion for entry {n}</summary>
              <CommaField label={`Secondary keywords of entry ${n}`} values={entry.secondary_keys ?? []} onChange={(secondary_keys) => update(i, { secondary_keys, selective: secondary_keys.length > 0 })} />
              <div className="row">
                <Select n={n} what="secondary logic" label="Secondary keywords: fire when the text has" value={String(num(entry, 'selectiveLogic', 0))} options={logics} onChange={(v) => ext(i, { selectiveLogic: Number(v) })} />
              </div>
              <div className="row">
                <CheckField label="Keywords are regular expressions" name={`Entry ${n} keywords are regular expressions`} checked={entry.use_regex ?? false} onChange={(use_regex) => update(i, { use_regex })} />
                <CheckField label="Case-sensitive" name={`Entry ${n} case-sensitive`} checked={entry.case_sensitive ?? bool(entry, 'case_sensitive')} onChange={(v) => update(i, { case_sensitive: v, extensions: { ...entry.extensions, case_sensitive: v } })} />
                <CheckField label="Whole words" name={`Entry ${n} whole words`} checked={bool(entry, 'match_whole_words')} onChange={(v) => ext(i, { match_whole_words: v })} />
              </div>
              <div className="row">
                <NumberInput n={n} what="chance" label="Chance %" value={num(entry, 'probability', 100)} min={0} max={100} onChange={(v) => ext(i, { probability: v ?? 100, useProbability: true })} />
                <NumberInput n={n} what="scan depth" label="Scan depth" value={typeof entry.extensions['scan_depth'] === 'number' ? (entry.extensions['scan_depth'] as number) : undefined} min={0} placeholder="book's" onChange={(v) => ext(i, { scan_depth: v ?? null })} />
              </div>
              <Group title="Timing, in messages">
                <NumberInput n={n} what="sticky" label="Sticky" value={num(entry, 'sticky', 0)} min={0} onChange={(v) => ext(i, { sticky: v ?? 0 })} />
                <NumberInput n={n} what="cooldown" label="Cooldown" value={num(entry, 'cooldown', 0)} min={0} onChange={(v) => ext(i, { cooldown: v ?? 0 })} />
                <NumberInput n={n} what="delay" label="Delay" value={num(entry, 'delay', 0)} min={0} onChange={(v) => ext(i, { delay: v ?? 0 })} />
              </Group>
              <Group title="Inclusion group (one entry of a group goes in)">
                <TextField label={`Group of entry ${n}`} value={typeof entry.extensions['group'] === 'string' ? (entry.extensions['group'] as string) : ''} onChange={(group) => ext(i, { group })} />
                <NumberInput n={n} what="group weight" label="Weight" value={num(entry, 'group_weight', 100)} min={1} onChange={(v) => ext(i, { group_weight: v ?? 100 })} />
                <CheckField label="Wins its group" name={`Entry ${n} wins its group`} checked={bool(entry, 'group_override')} onChange={(v) => ext(i, { group_override: v })} />
              </Group>
              <Group title="Only for some characters">
                <CommaField label={`Characters for entry ${n}`} values={filterOf(entry).names} onChange={(names) => ext(i, { character_filter: { ...filterOf(entry), names } })} hint="Names, separated with commas. Empty: every character." />
                <CommaField label={`Character tags for entry ${n}`} values={filterOf(entry).tags} onChange={(tags) => ext(i, { character_filter: { ...filterOf(entry), tags } })} hint="Characters with one of these tags." />
                <CheckField label="Everyone except these" name={`Entry ${n} for everyone except these characters`} checked={filterOf(entry).isExclude} onChange={(isExclude) => ext(i, { character_filter: { ...filterOf(entry), isExclude } })} />
              </Group>
              <Group title="Recursion">
                <CheckField label="Not triggered by other entries" name={`Entry ${n} not triggered by other entries`} checked={bool(entry, 'exclude_recursion')} onChange={(v) => ext(i, { exclude_recursion: v })} />
                <CheckField label="Does not trigger other entries" name={`Entry ${n} does not trigger other entries`} checked={bool(entry, 'prevent_recursion')} onChange={(v) => ext(i, { prevent_recursion: v })} />
                <CheckField label="Only triggered by other entries" name={`Entry ${n} only triggered by other entries`} checked={entry.extensions['delay_until_recursion'] === true || num(entry, 'delay_until_recursion', 0) > 0} onChange={(v) => ext(i, { delay_until_recursion: v })} />
              </Group>
            </details>
            <button type="button" className="ghost danger" onClick={() => setEntries(entries.filter((_, j) => j !== i))}>
              Remove entry {n}
            </button>
          </fieldset>
        );
      })}
      <button type="button" onClick={() => setEntries([...entries, blankEntry(100)])}>
        Add lorebook entry
      </button>
    </fieldset>
  );
}

function Group({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="lore-group">
      <legend>{title}</legend>
      <div className="row">{children}</div>
    </fieldset>
  );
}

function Select<V extends string>({ n, what, label, value, options, onChange }: { n: number; what: string; label: string; value: V; options: readonly (readonly [V, string])[]; onChange(v: V): void }) {
  const id = useId();
  return (
    <div className="field inline">
      <label htmlFor={id}>{label}</label>
      <select id={id} aria-label={`Entry ${n} ${what}`} value={value} onChange={(e) => onChange(e.target.value as V)}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

function NumberInput(p: { n: number; what: string; label: string; value: number | undefined; min?: number; max?: number; placeholder?: string; onChange(v: number | undefined): void }) {
  const id = useId();
  return (
    <div className="field inline">
      <label htmlFor={id}>{p.label}</label>
      <input
        id={id}
        type="number"
        className="narrow"
        aria-label={`Entry ${p.n} ${p.what}`}
        min={p.min}
        max={p.max}
        placeholder={p.placeholder}
        value={p.value ?? ''}
        onChange={(e) => p.onChange(Number.isFinite(e.target.valueAsNumber) ? Math.round(e.target.valueAsNumber) : undefined)}
      />
    </div>
  );
}
