/**
 * `processors`: every party that receives anything from this device, and what (the privacy center's table).
 * `consent list|grant|revoke`: the optional sharings, each off until granted.
 */
import type { Command } from 'commander';
import { consentNames, type ConsentName } from '../../../../shared/consents.std.ts';
import type { ConsentView } from '../../../../shared/api/privacy.std.ts';
import { MindstageError } from '../../../../shared/result.std.ts';
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

  program
    .command('held')
    .description('what is kept: records, messages and images on this device, and what the sync relay counts for this account')
    .action(() =>
      ctx.withCore(async (call) => {
        const h = await call('privacy.held', {});
        const l = h.local;
        const relay =
          h.relay === null
            ? ['relay: sync is off, nothing is kept on a relay']
            : 'error' in h.relay
              ? [`relay: could not be asked (${h.relay.error})`]
              : [`relay (its own count): ${h.relay.updates + h.relay.snapshots} encrypted items, ${h.relay.bytes} bytes; ${h.relay.tombstones} deletion markers; ${h.relay.devices} devices`];
        ctx.out().result(h, [
          `this device: ${Object.entries(l.records).map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`).join(', ')}`,
          `  ${l.messages} messages; ${l.assets} images (${l.assetBytes} bytes); ${l.documents} encrypted documents (${l.documentBytes} bytes)`,
          ...relay,
        ]);
      }),
    );

  const consent = program.command('consent').description('optional sharing: each is off until you grant it (recorded in the vault, synced)');
  const line = (c: ConsentView) =>
    `${c.granted ? 'granted' : 'off    '}  ${c.name} — ${c.does}${c.changedAt === null ? '' : ` (${c.granted ? 'granted' : 'revoked'} ${when(c.changedAt)} UTC on ${c.device})`}`;
  consent
    .command('list')
    .description('every optional sharing, what it does, and whether it is granted')
    .action(() =>
      ctx.withCore(async (call) => {
        const list = await call('consent.list', {});
        ctx.out().result(list, list.map(line));
      }),
    );
  for (const [verb, granted] of [['grant', true], ['revoke', false]] as const) {
    consent
      .command(`${verb} <name>`)
      .description(granted ? 'turn one sharing on (names: consent list)' : 'turn one sharing off')
      .action((name: string) => {
        if (!(consentNames as string[]).includes(name)) {
          throw new MindstageError('usage', `No consent named "${name}". The names are: ${consentNames.join(', ')}.`);
        }
        return ctx.withCore(async (call) => {
          const c = await call('consent.set', { name: name as ConsentName, granted });
          ctx.out().result(c, [line(c)]);
        });
      });
  }
}
