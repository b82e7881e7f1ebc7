/** `processors`: every party that receives anything from this device, and what (the privacy center's table). */
import type { Command } from 'commander';
import type { CliContext } from '../context.node.ts';

const when = (at: number | null) => (at === null ? 'never' : new Date(at).toISOString().slice(0, 16).replace('T', ' '));

export function registerPrivacyCommands(program: Command, ctx: CliContext): void {
  program
    .command('processors')
    .description('who receives anything from this device, what they receive, and the ledger\'s last 30 days for each')
    .action(() =>
      ctx.withCore(async (call) => {
        const rows = await call('privacy.processors', {});
        ctx.out().result(
          rows,
          rows.length === 0
            ? ['Nothing leaves this device: no AI provider is configured and sync is off.']
            : rows.flatMap((r) => [
                `${r.party} — ${r.host}`,
                ...r.receives.map((x) => `  receives: ${x}`),
                `  last used ${when(r.lastUsedAt)}${r.requests30d === null ? '' : `; ${r.requests30d} request${r.requests30d === 1 ? '' : 's'} in the last 30 days`}`,
              ]),
        );
      }),
    );
}
