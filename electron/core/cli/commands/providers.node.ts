/** `provider add | list | remove | order`: AI providers, stored encrypted in the vault's settings. */
import type { Command } from 'commander';
import { MindstageError } from '../../../../shared/result.std.ts';
import type { CliContext } from '../context.node.ts';

const int = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new MindstageError('usage', `${what} must be a positive whole number, not "${v}".`);
  return n;
};

export function registerProviderCommands(program: Command, ctx: CliContext): void {
  const group = program.command('provider').description('AI providers (any OpenAI-compatible endpoint)');

  group
    .command('add')
    .description('add a provider at the end of the fallback order')
    .requiredOption('--name <name>', 'a name you choose, e.g. openrouter')
    .requiredOption('--base-url <url>', 'e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1 (Ollama)')
    .requiredOption('--model <model>', 'model id')
    .option('--api-key-env <VAR>', 'read the API key from this environment variable (it is stored encrypted in the vault)')
    .option('--context-window <n>', 'context window in tokens', int('--context-window'))
    .option('--max-tokens <n>', 'maximum tokens per reply', int('--max-tokens'))
    .option('--preset <name>', 'the preset its requests use by default')
    .option('--text-completion', 'send one prompt in the model\'s instruct format to /completions (llama.cpp, KoboldCpp, text-generation-webui…)')
    .option('--instruct <template>', 'text completion: the instruct template (default: chosen from the model name)')
    .option('--context <template>', 'text completion: the context template (default: the instruct template\'s own)')
    .action((o: { name: string; baseUrl: string; model: string; apiKeyEnv?: string; contextWindow?: number; maxTokens?: number; preset?: string; textCompletion?: boolean; instruct?: string; context?: string }) =>
      ctx.withCore(async (call) => {
        let apiKey: string | undefined;
        if (o.apiKeyEnv !== undefined) {
          apiKey = process.env[o.apiKeyEnv];
          if (!apiKey) throw new MindstageError('usage', `The environment variable ${o.apiKeyEnv} is not set, so there is no API key to store.`);
        }
        await call('provider.add', {
          name: o.name,
          baseUrl: o.baseUrl,
          model: o.model,
          ...(apiKey ? { apiKey } : {}),
          ...(o.contextWindow ? { contextWindow: o.contextWindow } : {}),
          ...(o.maxTokens ? { maxTokens: o.maxTokens } : {}),
          ...(o.preset ? { preset: o.preset } : {}),
          ...(o.textCompletion ? { completion: 'text' as const } : {}),
          ...(o.instruct ? { instruct: o.instruct } : {}),
          ...(o.context ? { context: o.context } : {}),
        });
        ctx.out().result({ name: o.name }, `Added provider ${o.name}.`);
      }),
    );

  group.command('list').description('list providers in fallback order').action(() =>
    ctx.withCore(async (call) => {
      const list = await call('provider.list', {});
      ctx.out().result(
        list,
        list.length === 0
          ? 'No providers yet. Add one with "mindstage provider add".'
          : list.map((p, i) => `${i + 1}. ${p.name}  ${p.model} @ ${p.baseUrl}  context ${p.contextWindow}, max ${p.maxTokens}${p.hasApiKey ? ', API key set' : ''}${p.preset ? `, preset ${p.preset}` : ''}${p.completion === 'text' ? `, text completion (${p.instruct ?? 'template from the model name'})` : ''}`),
      );
    }),
  );

  group.command('remove').argument('<name>').description('remove a provider').action((name: string) =>
    ctx.withCore(async (call) => {
      await call('provider.remove', { name });
      ctx.out().result({ name, removed: true }, `Removed provider ${name}.`);
    }),
  );

  group.command('order').argument('<names...>').description('set the fallback order (name every provider)').action((names: string[]) =>
    ctx.withCore(async (call) => {
      await call('provider.order', { names });
      ctx.out().result({ order: names }, `Order: ${names.join(' → ')}.`);
    }),
  );
}
