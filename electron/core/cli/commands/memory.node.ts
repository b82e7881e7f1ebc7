/** `mindstage memory …`: a conversation's running summary (docs/prompt.md "Memory"). */
import { Option, type Command } from 'commander';
import { MindstageError } from '../../../../shared/result.std.ts';
import type { MemoryView } from '../../../../shared/api/memory.std.ts';
import type { CliContext } from '../context.node.ts';

/** shared/memory.std.ts `memoryPositions`, not imported: that module loads zod, and `--help` loads nothing heavy. */
const memoryPositions = ['before_char', 'after_char', 'depth'] as const;

const how = { auto: 'summarised automatically', manual: 'summarised on request', edited: 'written or edited by you' } as const;

export function formatMemory(m: MemoryView): string[] {
  const where = m.position === 'depth' ? `in the chat at depth ${m.depth} as ${m.role}` : m.position === 'before_char' ? 'before the character' : 'after the character';
  const made = m.madeBy ? `${how[m.madeBy]}${m.madeAt ? ` ${new Date(m.madeAt).toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}` : 'not made yet';
  return [
    `memory ${m.enabled ? 'on' : 'off'}, ${m.auto ? 'updated automatically' : 'updated only on request'}, inserted ${where}`,
    `covers ${m.coveredMessages} of ${m.totalMessages} messages; ${made}${m.summarizing ? '; a summary is being made' : ''}`,
    ...(m.error ? [m.error] : []),
    '',
    m.text || '(empty)',
  ];
}

const bool = (name: string) => (v: string): boolean => {
  if (v === 'true' || v === 'on' || v === 'yes') return true;
  if (v === 'false' || v === 'off' || v === 'no') return false;
  throw new MindstageError('usage', `--${name} must be true or false, not "${v}".`);
};

const whole = (name: string, min: number, max: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new MindstageError('usage', `--${name} must be a whole number from ${min} to ${max}.`);
  return n;
};

interface SetOptions {
  text?: string;
  position?: (typeof memoryPositions)[number];
  depth?: number;
  role?: 'system' | 'user' | 'assistant';
  enabled?: boolean;
  auto?: boolean;
  prompt?: string;
  words?: number;
  template?: string;
}

export function registerMemoryCommands(program: Command, ctx: CliContext): void {
  const group = program.command('memory').description('a conversation\'s memory: a running summary of its older messages, inserted into the prompt');

  group
    .command('show')
    .argument('<conversation-id>')
    .description('the summary, what it covers, how it was made and where it goes in the prompt')
    .action((conversationId: string) =>
      ctx.withCore(async (call) => {
        const m = await call('memory.get', { conversationId });
        ctx.out().result(m, formatMemory(m));
      }),
    );

  group
    .command('set')
    .argument('<conversation-id>')
    .description('change the memory: its text (marked as edited by you; "" empties it) or its settings')
    .option('--text <text>', 'the summary\'s text')
    .addOption(new Option('--position <where>', 'before_char / after_char: in the main system message; depth: in the chat').choices([...memoryPositions]))
    .option('--depth <n>', 'with --position depth: messages from the end (default 2)', whole('depth', 0, 1000))
    .addOption(new Option('--role <role>', 'with --position depth: as which role (default system)').choices(['system', 'user', 'assistant']))
    .option('--enabled <true|false>', 'insert it into the prompt', bool('enabled'))
    .option('--auto <true|false>', 'summarise again by itself when older messages no longer fit', bool('auto'))
    .option('--prompt <text>', 'the instruction sent to summarise ({{words}}: --words)')
    .option('--words <n>', 'the summary\'s length in words, for {{words}} (default 200)', whole('words', 10, 5000))
    .option('--template <text>', 'how it is inserted; {{summary}} is the text (default "[Summary: {{summary}}]")')
    .action((conversationId: string, o: SetOptions) =>
      ctx.withCore(async (call) => {
        const patch = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
        if (Object.keys(patch).length === 0) throw new MindstageError('usage', 'Nothing to change: give --text, --position, --depth, --role, --enabled, --auto, --prompt, --words or --template.');
        const m = await call('memory.set', { conversationId, patch });
        ctx.out().result(m, formatMemory(m));
      }),
    );

  group
    .command('summarize')
    .argument('<conversation-id>')
    .description('ask the provider now for a new summary of the messages the memory does not cover yet')
    .action((conversationId: string) =>
      ctx.withCore(async (call) => {
        const m = await call('memory.summarize', { conversationId });
        ctx.out().result(m, [`Summarised ${m.summarized} message${m.summarized === 1 ? '' : 's'} with ${m.provider}${m.remaining > 0 ? `; ${m.remaining} more not covered yet (run it again)` : ''}.`, ...formatMemory(m)]);
      }),
    );
}
