/**
 * character / scenario / persona: create, list, show, update, delete. Each kind's options are a table mapping a
 * flag to a record field, used for both create and update.
 */
import { Option, type Command } from 'commander';
import type { CatalogEntry } from '../../../../shared/domain.std.ts';
import { MindstageError } from '../../../../shared/result.std.ts';
import type { CliContext } from '../context.node.ts';

type FieldKind = 'character' | 'scenario' | 'persona';
interface FieldOption {
  flag: string;
  field: string;
  description: string;
  /** Repeatable flag collected into a list. */
  list?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

const fieldOptions: Record<FieldKind, FieldOption[]> = {
  character: [
    { flag: 'name', field: 'name', description: 'name' },
    { flag: 'description', field: 'description', description: 'description' },
    { flag: 'personality', field: 'personality', description: 'personality summary' },
    { flag: 'scenario', field: 'scenario', description: 'scenario text of the card' },
    { flag: 'first-message', field: 'first_mes', description: 'first message (greeting)' },
    { flag: 'alternate-greeting', field: 'alternate_greetings', description: 'an alternate greeting (repeatable)', list: true },
    { flag: 'group-greeting', field: 'group_only_greetings', description: 'a greeting for group chats only (repeatable)', list: true },
    { flag: 'example-dialogue', field: 'mes_example', description: 'example dialogue' },
    { flag: 'system-prompt', field: 'system_prompt', description: 'system prompt ({{original}} = the default)' },
    { flag: 'post-history-instructions', field: 'post_history_instructions', description: 'post-history instructions' },
    { flag: 'creator-notes', field: 'creator_notes', description: 'creator notes' },
    { flag: 'creator', field: 'creator', description: 'creator' },
    { flag: 'character-version', field: 'character_version', description: 'version' },
    { flag: 'tag', field: 'tags', description: 'a tag (repeatable)', list: true },
  ],
  scenario: [
    { flag: 'title', field: 'title', description: 'title' },
    { flag: 'setting', field: 'setting', description: 'setting' },
    { flag: 'character', field: 'characterIds', description: 'a character id (repeatable)', list: true },
    { flag: 'opening-message', field: 'openingMessages', description: 'an opening message (repeatable)', list: true },
    { flag: 'persona', field: 'personaId', description: 'persona the user plays here' },
  ],
  persona: [
    { flag: 'name', field: 'name', description: 'name' },
    { flag: 'description', field: 'description', description: 'description' },
  ],
};

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function addFieldOptions(cmd: Command, kind: FieldKind): Command {
  for (const o of fieldOptions[kind]) {
    const opt = new Option(`--${o.flag} <${o.list ? 'value' : 'text'}>`, o.description);
    cmd.addOption(o.list ? opt.argParser(collect) : opt);
  }
  return cmd;
}

function fieldsFrom(kind: FieldKind, opts: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const o of fieldOptions[kind]) {
    const v = opts[camel(o.flag)];
    if (v !== undefined) fields[o.field] = v;
  }
  return fields;
}

export function formatList(entries: CatalogEntry[]): string[] {
  if (entries.length === 0) return ['(none)'];
  return entries.map((e) => `${e.id}  ${e.title || '(untitled)'}  ${new Date(e.updatedAt).toISOString().slice(0, 16).replace('T', ' ')}`);
}

/** Human rendering of a record: one "field: value" line per non-empty field. */
export function formatRecord(record: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(record)) {
    if (v === '' || v === undefined || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v && !Array.isArray(v) && Object.keys(v).length === 0)) continue;
    lines.push(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return lines;
}

export function registerRecordCommands(program: Command, ctx: CliContext): void {
  for (const kind of ['character', 'scenario', 'persona'] as const) {
    const group = program.command(kind).description(`manage ${kind}s`);
    const titleFlag = kind === 'scenario' ? 'title' : 'name';

    addFieldOptions(group.command('create').description(`create a ${kind}; prints its id`), kind)
      .action((opts: Record<string, unknown>) =>
        ctx.withCore(async (call) => {
          const fields = fieldsFrom(kind, opts);
          if (fields[titleFlag] === undefined) fields[titleFlag] = '';
          const { id } = await call(`${kind}.create`, fields as never);
          ctx.out().result({ id }, id);
        }),
      );

    group.command('list').description(`list ${kind}s`).action(() =>
      ctx.withCore(async (call) => {
        const entries = await call('records.list', { kind });
        ctx.out().result(entries, formatList(entries));
      }),
    );

    group.command('show').argument('<id>').description(`show a ${kind}`).action((id: string) =>
      ctx.withCore(async (call) => {
        const record = await call(`${kind}.get`, { id });
        ctx.out().result(record, formatRecord(record as unknown as Record<string, unknown>));
      }),
    );

    addFieldOptions(group.command('update').argument('<id>').description(`change fields of a ${kind}`), kind)
      .action((id: string, opts: Record<string, unknown>) =>
        ctx.withCore(async (call) => {
          const patch = fieldsFrom(kind, opts);
          if (Object.keys(patch).length === 0) {
            throw new MindstageError('usage', `Nothing to update: give at least one field, e.g. --${titleFlag} "…".`);
          }
          await call(`${kind}.update`, { id, patch } as never);
          ctx.out().result({ id, updated: Object.keys(patch) }, `Updated ${kind} ${id}.`);
        }),
      );

    group.command('delete').argument('<id>').description(`delete a ${kind}`).action((id: string) =>
      ctx.withCore(async (call) => {
        await call(`${kind}.delete`, { id });
        ctx.out().result({ id, deleted: true }, `Deleted ${kind} ${id}.`);
      }),
    );
  }
}
