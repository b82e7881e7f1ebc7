/**
 * `chat ID TEXT` (stream a reply to stdout), `chat regenerate ID`, `chat continue ID`, and `ledger`.
 * A reply that fails exits 5 (provider or network); the user's message stays in the conversation either way.
 */
import { Option, type Command } from 'commander';
import type { GroupOrder } from '../../../../shared/group/turns.std.ts';
import { groupOrders } from '../../../../shared/group/orders.std.ts';
import type { ApiEvents } from '../../../../shared/api/index.std.ts';
import type { ChatStarted, LedgerEntryView } from '../../../../shared/api/chat.std.ts';
import { MindstageError, errorCodes, type ErrorCode } from '../../../../shared/result.std.ts';
import type { Core } from '../../core.node.ts';
import type { CliContext } from '../context.node.ts';

/**
 * Starts a reply, prints its text as it arrives (not with --json), and resolves with how it ended. `speaker`
 * (group chats) names who speaks: a "Name: " before the text, and the character's id in the JSON line.
 */
async function streamReply(ctx: CliContext, core: Core, conversationId: string, start: () => Promise<ChatStarted>, speaker?: { id: string; name: string }): Promise<void> {
  const json = ctx.out().json;
  let text = '';
  let named = false;
  const name = () => {
    if (speaker && !json && !named) process.stdout.write(`${speaker.name}: `);
    named = true;
  };
  const done = new Promise<ApiEvents['chat.done']>((resolve) => {
    const offDone = core.on('chat.done', (e) => {
      if (e.conversationId !== conversationId) return;
      offDone();
      resolve(e);
    });
  });
  const offDelta = core.on('chat.delta', (e) => {
    if (e.conversationId !== conversationId) return;
    text += e.text;
    name();
    if (!json) process.stdout.write(e.text);
  });
  // Ctrl-C stops the reply (what arrived is kept, marked stopped) instead of killing the process mid-write.
  const onSigint = () => void core.invoke('chat.stop', { conversationId });
  process.on('SIGINT', onSigint);
  try {
    const started = await start();
    const end = await done;
    if (speaker) name();
    if (!json && (text !== '' || speaker)) process.stdout.write('\n');
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ conversationId, ...(speaker ? { characterId: speaker.id } : {}), userMessageId: started.userMessageId, messageId: end.messageId, alternativeId: end.alternativeId, status: end.status, text, provider: end.provider, model: end.model, ...(end.error ? { error: end.error } : {}) })}\n`,
      );
    }
    if (end.status === 'error') {
      const code: ErrorCode = (errorCodes as readonly string[]).includes(end.error?.code ?? '') ? (end.error!.code as ErrorCode) : 'provider';
      throw new MindstageError(code, end.error?.message ?? 'The reply failed.');
    }
    if (end.status === 'stopped') throw new MindstageError('aborted', 'Stopped; the text so far is kept.');
  } finally {
    offDelta();
    process.off('SIGINT', onSigint);
  }
}

/** Auto rounds: a whole number within what the group settings allow. */
export function rounds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 50) throw new MindstageError('usage', `Rounds must be a whole number from 0 to 50, not "${v}".`);
  return n;
}

function formatLedger(entries: LedgerEntryView[]): string[] {
  if (entries.length === 0) return ['No requests have left this device yet.'];
  const rows = entries.map((e) => [new Date(e.at).toISOString().replace('T', ' ').slice(0, 19), e.purpose, e.host, e.status === null ? '-' : String(e.status), String(e.bytesOut), String(e.bytesIn), e.outcome]);
  const header = ['time (UTC)', 'purpose', 'host', 'status', 'bytes out', 'bytes in', 'outcome'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 4 || i === 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export function registerChatCommands(program: Command, ctx: CliContext): void {
  const chat = program
    .command('chat')
    .description('talk in a conversation: the reply streams to stdout (exit 5 if no provider could answer; your message is kept)')
    .argument('<conversation-id>')
    .argument('<text>', 'what you say')
    .option('--character <id>', 'who answers (group chats); default: as the group\'s order says')
    .addOption(new Option('--order <order>', 'group chats, this turn: natural (named, then by talkativeness), list (everyone), manual (nobody unless --character)').choices([...groupOrders]))
    .option('--auto <rounds>', 'group chats: then let the characters answer each other for this many rounds (0: none; default the chat\'s auto mode); Ctrl-C stops', rounds)
    .action((conversationId: string, text: string, o: { character?: string; order?: GroupOrder; auto?: number }) =>
      ctx.withCore(async (call, core) => {
        const send = () => streamReply(ctx, core, conversationId, () => call('chat.send', { conversationId, text, ...(o.character ? { characterId: o.character } : {}) }));
        if (o.character) return send();
        const { meta } = await call('conversation.window', { id: conversationId, limit: 1 });
        if (meta.characterIds.length < 2) return send();
        const { runGroup } = await import('../group-run.node.ts');
        await runGroup(ctx, call, conversationId, text, { ...(o.order ? { order: o.order } : {}), ...(o.auto !== undefined ? { auto: o.auto } : {}) }, (speaker, start) => streamReply(ctx, core, conversationId, start, speaker));
      }),
    );

  chat
    .command('auto')
    .argument('<conversation-id>')
    .description('group chats: the characters answer each other from the last message, without you (Ctrl-C stops)')
    .option('--rounds <n>', 'how many rounds (default the chat\'s auto-mode rounds); --order as for chat', rounds)
    // `--order` is the parent's option (commander reads a parent's options after its subcommands too).
    .action((conversationId: string, _o: unknown, cmd: Command) =>
      ctx.withCore(async (call, core) => {
        const o = cmd.optsWithGlobals<{ rounds?: number; order?: GroupOrder }>();
        const { meta } = await call('conversation.window', { id: conversationId, limit: 1 });
        if (meta.characterIds.length < 2) throw new MindstageError('usage', 'Only a group chat (two or more characters) can carry on without you.');
        // Group turns (and zod, for their settings) load here, not with the command list: `--help` stays light.
        const { runGroup } = await import('../group-run.node.ts');
        const { GroupSettings } = await import('../../../../shared/group/turns.std.ts');
        const auto = o.rounds ?? GroupSettings.parse(meta.group ?? {}).autoTurns;
        await runGroup(ctx, call, conversationId, undefined, { auto, ...(o.order ? { order: o.order } : {}) }, (speaker, start) => streamReply(ctx, core, conversationId, start, speaker));
      }),
    );

  chat
    .command('regenerate')
    .argument('<conversation-id>')
    .option('--message <id>', 'the character message to regenerate (default: the last one)')
    .description('a new reply beside the last one (kept as an alternative)')
    .action((conversationId: string, o: { message?: string }) =>
      ctx.withCore((call, core) => streamReply(ctx, core, conversationId, () => call('chat.regenerate', { conversationId, ...(o.message ? { messageId: o.message } : {}) }))),
    );

  chat
    .command('continue')
    .argument('<conversation-id>')
    .option('--message <id>', 'the character message to continue (default: the last one)')
    .description('more text onto the last reply')
    .action((conversationId: string, o: { message?: string }) =>
      ctx.withCore((call, core) => streamReply(ctx, core, conversationId, () => call('chat.continue', { conversationId, ...(o.message ? { messageId: o.message } : {}) }))),
    );

  chat
    .command('impersonate')
    .argument('<conversation-id>')
    .description('print the turn the AI would write for you next; nothing is stored')
    .action((conversationId: string) =>
      ctx.withCore(async (call) => {
        const r = await call('chat.suggestUserTurn', { conversationId });
        ctx.out().result(r, r.text);
      }),
    );

  program
    .command('prompt')
    .argument('<conversation-id>')
    .description('the prompt the next reply would send: each part with its tokens, the lore that fired and why, the budget (nothing is sent)')
    .option('--message <message-id>', 'instead: the prompt a past reply was made from')
    .action((conversationId: string, o: { message?: string }) =>
      ctx.withCore(async (call) => {
        const p = await call('chat.prompt', { conversationId, ...(o.message ? { messageId: o.message } : {}) });
        const b = p.budget;
        const lines = [
          `${b.used} of ${b.available} tokens (context ${b.contextWindow} − reply ${b.maxTokens}), ${b.estimate ? 'estimated' : `counted with ${b.tokenizer}`}${b.provider ? ` for ${b.provider} · ${b.model}` : ' (no provider yet)'}; history ${b.historyIncluded} kept, ${b.historyDropped} dropped${b.overBudget ? '; OVER BUDGET' : ''}`,
          ...p.lore.map((l) => `lore: ${l.entry} → ${l.position}${l.depth !== undefined ? ` ${l.depth}` : ''} (${l.reason})`),
          ...(p.memory ? [`memory → ${p.memory.position}${p.memory.depth !== undefined ? ` ${p.memory.depth} as ${p.memory.role}` : ''}, ${p.memory.tokens} tokens (${p.memory.reason})`] : []),
          ...(p.text
            ? [`text completion: ${p.text.instruct} instruct, ${p.text.context} context; stop ${JSON.stringify(p.text.stop)}`, ...p.text.pieces.map((x) => `--- ${x.part} · ${x.role} · ${x.tokens} tokens\n${x.text}`)]
            : p.messages.map((m) => `--- ${m.part} · ${m.role} · ${m.tokens} tokens\n${m.content}`)),
        ];
        const messages = p.messages.map(({ role, content, tokens, part }) => ({ role, content, tokens, part }));
        ctx.out().result({ messages, lore: p.lore, ...(p.memory ? { memory: p.memory } : {}), budget: p.budget, ...(p.text ? { text: p.text } : {}) }, lines);
      }),
    );

  program
    .command('ledger')
    .description('every request that left this device: when, where, why, how many bytes, and the outcome (never content)')
    .option('--limit <n>', 'newest N entries', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new MindstageError('usage', `--limit must be a positive whole number, not "${v}".`);
      return n;
    })
    .action((o: { limit?: number }) =>
      ctx.withCore(async (call) => {
        const entries = await call('ledger.list', { limit: o.limit ?? 100_000 });
        ctx.out().result(entries, formatLedger(entries));
      }),
    );
}
