/** `preset add | list | remove`: named sampler presets (docs/chat.md, "Presets"). */
import { Option, type Command } from 'commander';
import type { PresetSampling } from '../../../../shared/api/presets.std.ts';
import { MindstageError } from '../../../../shared/result.std.ts';
import type { CliContext } from '../context.node.ts';

const number = (flag: string, integer = false) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new MindstageError('usage', `--${flag} must be ${integer ? 'a whole number' : 'a number'}, not "${v}".`);
  return n;
};

/** Flag → preset field; integers where the API wants them. */
const flags: [string, keyof PresetSampling, boolean][] = [
  ['temperature', 'temperature', false],
  ['top-p', 'top_p', false],
  ['top-k', 'top_k', true],
  ['min-p', 'min_p', false],
  ['repetition-penalty', 'repetition_penalty', false],
  ['frequency-penalty', 'frequency_penalty', false],
  ['presence-penalty', 'presence_penalty', false],
  ['seed', 'seed', true],
  ['max-tokens', 'max_tokens', true],
];
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function describePreset(s: PresetSampling): string {
  const parts = Object.entries(s).map(([k, v]) => `${k} ${Array.isArray(v) ? v.map((x) => JSON.stringify(x)).join(', ') : String(v)}`);
  return parts.length === 0 ? '(provider defaults)' : parts.join(', ');
}

export function registerPresetCommands(program: Command, ctx: CliContext): void {
  const group = program.command('preset').description('named sampler presets');

  const add = group.command('add').description('add a preset (or replace the one with that name)').requiredOption('--name <name>', 'its name');
  for (const [flag, , integer] of flags) add.addOption(new Option(`--${flag} <n>`).argParser(number(flag, integer)));
  add
    .addOption(new Option('--stop <text>', 'a stop string (repeatable)').argParser((v: string, p: string[] = []) => [...p, v]))
    .addOption(new Option('--reasoning-effort <level>', 'for reasoning models').choices(['minimal', 'low', 'medium', 'high']))
    .action((o: Record<string, unknown> & { name: string }) =>
      ctx.withCore(async (call) => {
        const sampling: Record<string, unknown> = {};
        for (const [flag, field] of flags) if (o[camel(flag)] !== undefined) sampling[field] = o[camel(flag)];
        if (o['stop'] !== undefined) sampling['stop'] = o['stop'];
        if (o['reasoningEffort'] !== undefined) sampling['reasoning_effort'] = o['reasoningEffort'];
        await call('preset.save', { name: o.name, sampling: sampling as PresetSampling });
        ctx.out().result({ name: o.name }, `Saved preset ${o.name}.`);
      }),
    );

  group.command('list').description('list presets').action(() =>
    ctx.withCore(async (call) => {
      const list = await call('preset.list', {});
      ctx.out().result(list, list.length === 0 ? 'No presets yet.' : list.map((p) => `${p.name}: ${describePreset(p.sampling)}`));
    }),
  );

  group.command('remove').argument('<name>').description('remove a preset').action((name: string) =>
    ctx.withCore(async (call) => {
      await call('preset.remove', { name });
      ctx.out().result({ name, removed: true }, `Removed preset ${name}.`);
    }),
  );
}
