import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { MindstageError } from '../../../../shared/result.std.ts';
import { exportFormats, type ExportFormat } from '../../../../shared/export-formats.std.ts';
import type { Conversation } from '../../../../shared/domain.std.ts';
import type { CliContext } from '../context.node.ts';
import { formatList } from './records.node.ts';
import { rounds } from './chat.node.ts';
import type { GroupOrder } from '../../../../shared/group/turns.std.ts';
import { groupOrders } from '../../../../shared/group/orders.std.ts';

function anInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 1000) throw new MindstageError('usage', `--${name} must be a whole number from 0 to 1000.`);
    return n;
  };
}

export function registerConversationCommands(program: Command, ctx: CliContext): void {
  const group = program.command('conversation').description('manage conversations');

  group
    .command('create')
    .description('start a conversation; prints its id')
    .addOption(new Option('--character <id>', 'a character in it (repeatable)').argParser((v: string, p: string[] = []) => [...p, v]))
    .option('--scenario <id>', 'scenario')
    .option('--persona <id>', 'persona you play')
    .option('--title <text>', 'title')
    .option('--preset <name>', 'sampler preset for this conversation (overrides the provider\'s)')
    .option('--no-greeting', 'start empty, without the character\'s greeting or the scenario\'s opening')
    .action((o: { character?: string[]; scenario?: string; persona?: string; title?: string; preset?: string; greeting: boolean }) =>
      ctx.withCore(async (call) => {
        const { id } = await call('conversation.create', {
          withGreeting: o.greeting,
          characterIds: o.character ?? [],
          ...(o.scenario ? { scenarioId: o.scenario } : {}),
          ...(o.persona ? { personaId: o.persona } : {}),
          ...(o.preset ? { preset: o.preset } : {}),
          title: o.title ?? '',
        });
        ctx.out().result({ id }, id);
      }),
    );

  group
    .command('add-message')
    .argument('<id>')
    .description('append a message without asking the AI')
    .addOption(new Option('--role <role>', 'who speaks').choices(['user', 'character', 'narrator']).makeOptionMandatory())
    .requiredOption('--text <text>', 'message text')
    .option('--author <id>', 'character or persona id of the speaker')
    .action((id: string, o: { role: 'user' | 'character' | 'narrator'; text: string; author?: string }) =>
      ctx.withCore(async (call) => {
        const msg = await call('conversation.addMessage', { id, role: o.role, text: o.text, ...(o.author ? { authorId: o.author } : {}) });
        ctx.out().result({ id: msg.id }, msg.id);
      }),
    );

  // Rendering as the app shows it (macros, regex scripts on RE2) loads only for `show`: `list` and `--help` skip it.
  group.command('show').argument('<id>').description('show a conversation and its messages').action((id: string) =>
    ctx.withCore(async (call) => (await import('./conversation-show.node.ts')).showConversation(ctx, call, id)),
  );

  group.command('list').description('list conversations').action(() =>
    ctx.withCore(async (call) => {
      const entries = await call('records.list', { kind: 'conversation' });
      ctx.out().result(entries, formatList(entries));
    }),
  );

  group.command('delete').argument('<id>').description('delete a conversation').action((id: string) =>
    ctx.withCore(async (call) => {
      await call('conversation.delete', { id });
      ctx.out().result({ id, deleted: true }, `Deleted conversation ${id}.`);
    }),
  );

  group
    .command('set')
    .argument('<id>')
    .option('--preset <name>', 'sampler preset for this conversation (overrides the provider\'s)')
    .option('--title <text>', 'title')
    .option('--authors-note <text>', 'author\'s note, inserted into the history at a depth ("" removes it)')
    .option('--an-depth <n>', 'author\'s note: messages from the end (default 4)', anInt('an-depth'))
    .addOption(new Option('--an-role <role>', 'author\'s note: as which role (default system)').choices(['system', 'user', 'assistant']))
    .option('--an-every <n>', 'author\'s note: every n user messages (default 1; 0 = never)', anInt('an-every'))
    .addOption(new Option('--order <order>', 'group chats: who answers — natural (named, then by talkativeness), list (everyone), manual (only whom you choose)').choices([...groupOrders]))
    .option('--auto <rounds>', 'group chats: auto mode, the characters answer each other for this many rounds after each turn (0: off)', rounds)
    .description('change a conversation\'s settings')
    .action((id: string, o: { preset?: string; title?: string; authorsNote?: string; anDepth?: number; anRole?: 'system' | 'user' | 'assistant'; anEvery?: number; order?: GroupOrder; auto?: number }) =>
      ctx.withCore(async (call) => {
        const noteOptions = o.anDepth !== undefined || o.anRole !== undefined || o.anEvery !== undefined;
        const groupOptions = o.order !== undefined || o.auto !== undefined;
        if (o.preset === undefined && o.title === undefined && o.authorsNote === undefined && !noteOptions && !groupOptions) {
          throw new MindstageError('usage', 'Nothing to change: give --preset, --title, --authors-note, --order or --auto.');
        }
        let group: Conversation['group'];
        if (groupOptions) {
          const { GroupSettings } = await import('../../../../shared/group/turns.std.ts');
          const current = GroupSettings.parse((await call('conversation.window', { id, limit: 1 })).meta.group ?? {});
          group = { ...current, ...(o.order ? { order: o.order } : {}), ...(o.auto !== undefined ? { auto: o.auto > 0, autoTurns: o.auto > 0 ? o.auto : current.autoTurns } : {}) };
        }
        let authorsNote: Conversation['authorsNote'];
        if (o.authorsNote !== undefined || noteOptions) {
          const current = (await call('conversation.displayContext', { id })).authorsNote ?? { text: '', depth: 4, role: 'system' as const, every: 1 };
          authorsNote = {
            text: o.authorsNote ?? current.text,
            depth: o.anDepth ?? current.depth,
            role: o.anRole ?? current.role,
            every: o.anEvery ?? current.every,
          };
        }
        await call('conversation.update', {
          id,
          patch: { ...(o.preset !== undefined ? { preset: o.preset } : {}), ...(o.title !== undefined ? { title: o.title } : {}), ...(authorsNote ? { authorsNote } : {}), ...(group ? { group } : {}) },
        });
        ctx.out().result({ id }, `Updated conversation ${id}.`);
      }),
    );

  group
    .command('export')
    .argument('<id>')
    .addOption(new Option('--format <format>', 'file format').choices([...exportFormats]).makeOptionMandatory())
    .option('--out <file>', 'write to this file (default: standard output)')
    .description('write one conversation as a SillyTavern chat (.jsonl), Markdown or plain text')
    .action((id: string, o: { format: ExportFormat; out?: string }) =>
      ctx.withCore(async (call) => {
        const { text } = await call('conversation.exportAs', { id, format: o.format });
        if (o.out === undefined) return void process.stdout.write(text);
        // 0600: the file is plaintext the user asked for; keep it theirs alone.
        writeFileSync(o.out, text, { mode: 0o600 });
        ctx.out().result({ out: o.out, bytes: Buffer.byteLength(text) }, `Exported to ${o.out}. It is NOT encrypted: keep it safe or delete it.`);
      }),
    );

  group
    .command('branch')
    .argument('<id>')
    .requiredOption('--message <messageId>', 'last message to keep')
    .description('start a new conversation from a message of this one; prints its id')
    .action((id: string, o: { message: string }) =>
      ctx.withCore(async (call) => {
        const { id: newId } = await call('conversation.branch', { id, messageId: o.message });
        ctx.out().result({ id: newId }, newId);
      }),
    );
}
