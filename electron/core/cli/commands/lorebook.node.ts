/**
 * lorebook: create, import / export SillyTavern World Info, attach to a conversation, character or persona (or
 * everywhere with --global), list, show, and add entries with every World Info field (docs/prompt.md "Lorebooks").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { LoreEntry } from '../../../../shared/domain.std.ts';
import { MindstageError } from '../../../../shared/result.std.ts';
import type { CliContext } from '../context.node.ts';

const logics = ['and_any', 'not_all', 'not_any', 'and_all'] as const;
const positions = ['before_char', 'after_char', 'an_top', 'an_bottom', 'depth', 'em_top', 'em_bottom'] as const;
const roles = ['system', 'user', 'assistant'] as const;
const list = (v: string) => v.split(',').map((k) => k.trim()).filter(Boolean);

function int(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new MindstageError('usage', `--${name} must be a whole number from ${min} to ${max}.`);
    return n;
  };
}

interface EntryOptions {
  keys: string[];
  secondary?: string[];
  logic?: (typeof logics)[number];
  regex?: boolean;
  caseSensitive?: boolean;
  wholeWords?: boolean;
  probability?: number;
  position?: (typeof positions)[number];
  depth?: number;
  role?: (typeof roles)[number];
  order?: number;
  constant?: boolean;
  sticky?: number;
  cooldown?: number;
  delay?: number;
  group?: string;
  weight?: number;
  groupOverride?: boolean;
  scanDepth?: number;
  nonRecursable?: boolean;
  preventRecursion?: boolean;
  delayUntilRecursion?: number;
  name?: string;
  content: string;
}

/** An entry in the card-book shape with SillyTavern's World Info fields in `extensions` (as convertCharacterBook reads them). */
export function entryFromOptions(o: EntryOptions, id: number): LoreEntry {
  if ((o.depth !== undefined || o.role !== undefined) && o.position !== 'depth') throw new MindstageError('usage', '--depth and --role need --position depth.');
  if (o.logic !== undefined && !o.secondary?.length) throw new MindstageError('usage', '--logic needs --secondary keys.');
  if (!o.constant && o.keys.length === 0) throw new MindstageError('usage', 'Give --keys (or --constant for an entry that is always in).');
  const position = o.position ?? 'before_char';
  const extensions: Record<string, unknown> = {
    position: positions.indexOf(position),
    selectiveLogic: logics.indexOf(o.logic ?? 'and_any'),
    probability: o.probability ?? 100,
    useProbability: o.probability !== undefined,
    depth: o.depth ?? 4,
    role: roles.indexOf(o.role ?? 'system'),
    group: o.group ?? '',
    group_weight: o.weight ?? 100,
    group_override: o.groupOverride ?? false,
    sticky: o.sticky ?? 0,
    cooldown: o.cooldown ?? 0,
    delay: o.delay ?? 0,
    exclude_recursion: o.nonRecursable ?? false,
    prevent_recursion: o.preventRecursion ?? false,
    delay_until_recursion: o.delayUntilRecursion ?? false,
    scan_depth: o.scanDepth ?? null,
    match_whole_words: o.wholeWords ?? null,
    case_sensitive: o.caseSensitive ?? null,
  };
  return {
    id,
    keys: o.keys,
    secondary_keys: o.secondary ?? [],
    selective: (o.secondary?.length ?? 0) > 0,
    content: o.content,
    enabled: true,
    insertion_order: o.order ?? 100,
    constant: o.constant ?? false,
    use_regex: o.regex ?? false,
    ...(o.caseSensitive !== undefined ? { case_sensitive: o.caseSensitive } : {}),
    ...(o.name ? { name: o.name, comment: o.name } : {}),
    position: position === 'before_char' ? 'before_char' : 'after_char',
    extensions,
  };
}

export function registerLorebookCommands(program: Command, ctx: CliContext): void {
  const group = program.command('lorebook').description('lorebooks (World Info): create, import, export, attach, add entries');

  group
    .command('create')
    .description('create an empty lorebook; prints its id')
    .requiredOption('--name <name>', 'name')
    .option('--global', 'in force in every conversation')
    .option('--scan-depth <n>', 'messages scanned for keys (default 2)', int('scan-depth', 0, 1000))
    .option('--budget <tokens>', 'token budget of this book (default 25 % of the prompt)', int('budget', 0, 10_000_000))
    .option('--recursive', 'activated entries can activate other entries of this book')
    .action((o: { name: string; global?: boolean; scanDepth?: number; budget?: number; recursive?: boolean }) =>
      ctx.withCore(async (call) => {
        const { id } = await call('lorebook.create', {
          name: o.name,
          ...(o.scanDepth !== undefined ? { scan_depth: o.scanDepth } : {}),
          ...(o.budget !== undefined ? { token_budget: o.budget } : {}),
          ...(o.recursive ? { recursive_scanning: true } : {}),
        });
        if (o.global) {
          const prefs = await call('settings.get', {});
          await call('settings.update', { globalLorebookIds: [...(prefs.globalLorebookIds ?? []), id] });
        }
        ctx.out().result({ id }, id);
      }),
    );

  group
    .command('import')
    .argument('<file>', 'a SillyTavern World Info .json (or a card\'s character_book)')
    .option('--name <name>', 'name (default: the file\'s)')
    .description('import a lorebook; prints its id')
    .action((file: string, o: { name?: string }) =>
      ctx.withCore(async (call) => {
        let json: string;
        try {
          json = readFileSync(file, 'utf8');
        } catch {
          throw new MindstageError('usage', `Cannot read ${file}.`);
        }
        const r = await call('lorebook.import', { json, name: o.name ?? (path.basename(file).replace(/\.json$/i, '') || 'World Info') });
        ctx.out().result(r, `${r.id} (${r.entries} entr${r.entries === 1 ? 'y' : 'ies'})`);
      }),
    );

  group
    .command('export')
    .argument('<id>')
    .option('--out <file>', 'write to this file (default: standard output)')
    .description('write a lorebook as SillyTavern World Info JSON')
    .action((id: string, o: { out?: string }) =>
      ctx.withCore(async (call) => {
        const { json } = await call('lorebook.export', { id });
        if (o.out === undefined) return void process.stdout.write(`${json}\n`);
        writeFileSync(o.out, json, { mode: 0o600 });
        ctx.out().result({ out: o.out }, `Exported to ${o.out}. It is NOT encrypted: keep it safe or delete it.`);
      }),
    );

  group
    .command('attach')
    .argument('<id>')
    .option('--conversation <id>', 'a chat lorebook of this conversation')
    .option('--character <id>', 'in force whenever this character speaks')
    .option('--persona <id>', 'in force whenever you play this persona')
    .option('--global', 'in force in every conversation')
    .option('--detach', 'remove the link instead')
    .description('choose where a lorebook is in force')
    .action((id: string, o: { conversation?: string; character?: string; persona?: string; global?: boolean; detach?: boolean }) =>
      ctx.withCore(async (call) => {
        if (!o.conversation && !o.character && !o.persona && !o.global) throw new MindstageError('usage', 'Give --conversation, --character, --persona or --global.');
        const edit = (ids: string[] = []) => (o.detach ? ids.filter((x) => x !== id) : ids.includes(id) ? ids : [...ids, id]);
        const book = await call('lorebook.get', { id });
        if (o.conversation) {
          const c = await call('conversation.get', { id: o.conversation });
          await call('conversation.update', { id: o.conversation, patch: { lorebookIds: edit(c.lorebookIds) } });
        }
        const editLink = (ids: string[], other: string) => (o.detach ? ids.filter((x) => x !== other) : ids.includes(other) ? ids : [...ids, other]);
        if (o.character) await call('lorebook.update', { id, patch: { characterIds: editLink(book.characterIds, o.character) } });
        if (o.persona) await call('lorebook.update', { id, patch: { personaIds: editLink(book.personaIds, o.persona) } });
        if (o.global) {
          const prefs = await call('settings.get', {});
          await call('settings.update', { globalLorebookIds: edit(prefs.globalLorebookIds) });
        }
        ctx.out().result({ id, detached: Boolean(o.detach) }, `${o.detach ? 'Detached' : 'Attached'} lorebook ${id}.`);
      }),
    );

  group.command('list').description('list lorebooks and where each is in force').action(() =>
    ctx.withCore(async (call) => {
      const entries = await call('records.list', { kind: 'lorebook' });
      const prefs = await call('settings.get', {});
      const rows = [];
      for (const e of entries) {
        const b = await call('lorebook.get', { id: e.id });
        rows.push({ id: e.id, name: b.name, entries: b.entries.length, global: (prefs.globalLorebookIds ?? []).includes(e.id), characterIds: b.characterIds, personaIds: b.personaIds });
      }
      const lines = rows.length === 0 ? ['(none)'] : rows.map((r) => `${r.id}  ${r.name}  ${r.entries} entries${r.global ? '  global' : ''}${r.characterIds.length ? `  characters: ${r.characterIds.join(',')}` : ''}${r.personaIds.length ? `  personas: ${r.personaIds.join(',')}` : ''}`);
      ctx.out().result(rows, lines);
    }),
  );

  group.command('show').argument('<id>').description('show a lorebook and its entries').action((id: string) =>
    ctx.withCore(async (call) => {
      const b = await call('lorebook.get', { id });
      const lines = [`${b.name} — ${b.entries.length} entries`, ...b.entries.map((e, i) => `#${i + 1} [${e.keys.join(', ')}]${e.constant ? ' constant' : ''}${e.enabled ? '' : ' (disabled)'}: ${e.content.slice(0, 120)}`)];
      ctx.out().result(b, lines);
    }),
  );

  group.command('delete').argument('<id>').description('delete a lorebook').action((id: string) =>
    ctx.withCore(async (call) => {
      await call('lorebook.delete', { id });
      ctx.out().result({ id, deleted: true }, `Deleted lorebook ${id}.`);
    }),
  );

  const entry = group.command('entry').description('lorebook entries');
  entry
    .command('add')
    .argument('<id>', 'lorebook id')
    .option('--keys <a,b>', 'primary keys, comma-separated', list, [])
    .option('--secondary <c,d>', 'secondary keys, comma-separated', list)
    .addOption(new Option('--logic <logic>', 'how secondary keys combine').choices([...logics]))
    .option('--regex', 'keys are regular expressions')
    .option('--case-sensitive', 'match keys case-sensitively')
    .option('--whole-words', 'match keys as whole words')
    .option('--probability <p>', 'chance in % that it goes in when it fires', int('probability', 0, 100))
    .addOption(new Option('--position <where>', 'where it goes').choices([...positions]))
    .option('--depth <n>', 'with --position depth: messages from the end', int('depth', 0, 1000))
    .addOption(new Option('--role <role>', 'with --position depth: as which role').choices([...roles]))
    .option('--order <n>', 'insertion order (higher: more important, placed lower)', int('order', -1_000_000, 1_000_000))
    .option('--constant', 'always in')
    .option('--sticky <n>', 'stays in for n messages after it fires', int('sticky', 0, 10_000))
    .option('--cooldown <n>', 'cannot fire for n messages after it was in', int('cooldown', 0, 10_000))
    .option('--delay <n>', 'cannot fire before the chat has n messages', int('delay', 0, 10_000))
    .option('--group <g>', 'inclusion group: one entry of the group goes in')
    .option('--weight <w>', 'weight in its group (default 100)', int('weight', 1, 1_000_000))
    .option('--group-override', 'wins its group (highest order first) instead of a weighted roll')
    .option('--scan-depth <n>', 'messages scanned for this entry\'s keys', int('scan-depth', 0, 1000))
    .option('--non-recursable', 'cannot be activated by other entries\' content')
    .option('--prevent-recursion', 'its content does not activate other entries')
    .option('--delay-until-recursion [level]', 'fires only in recursion (from this level)', int('delay-until-recursion', 1, 100))
    .option('--name <name>', 'title (shown in the inspector)')
    .requiredOption('--content <text>', 'what goes into the prompt')
    .description('add an entry; prints its number')
    .action((id: string, o: Omit<EntryOptions, 'delayUntilRecursion'> & { delayUntilRecursion?: number | true }) =>
      ctx.withCore(async (call) => {
        const book = await call('lorebook.get', { id });
        const nextId = book.entries.reduce((n, e) => (typeof e.id === 'number' && e.id >= n ? e.id + 1 : n), 0);
        const { delayUntilRecursion, ...rest } = o;
        const e = entryFromOptions({ ...rest, ...(delayUntilRecursion !== undefined ? { delayUntilRecursion: delayUntilRecursion === true ? 1 : delayUntilRecursion } : {}) }, nextId);
        await call('lorebook.update', { id, patch: { entries: [...book.entries, e] } });
        ctx.out().result({ id, entry: nextId, number: book.entries.length + 1 }, `Added entry ${book.entries.length + 1}.`);
      }),
    );
}
