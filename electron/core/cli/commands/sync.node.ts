/**
 * `sync enable --relay URL`, `sync` (one round), `sync --watch`, `sync status`, `devices`, `devices rename ID --name N`, `devices remove ID`,
 * `pair create`, `pair join CODE --relay URL`, `wipe --yes [--local-only]`, `wipe --yes --recovery-key CODE --relay URL`. `recover --relay` is in vault.node.ts.
 * Exit codes: 4 when items were refused (integrity), 5 when the relay could not be reached or a wipe's remote part
 * is pending.
 */
import type { Command } from 'commander';
import type { SyncRound, SyncStatusView, WipeReport } from '../../../../shared/api/sync.std.ts';
import { MindstageError } from '../../../../shared/result.std.ts';
import type { CliContext } from '../context.node.ts';
import { readNewSecret } from '../secrets.node.ts';
import { publicCardsText } from '../../../../shared/wipe-text.std.ts';

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function roundLines(r: SyncRound): string[] {
  if (r.wiped) return ['This account was wiped from another device or with the recovery key (the wipe is signed by a key your account lists); this device\'s vault was wiped too.'];
  const lines = [`Synced: ↑ ${plural(r.up, 'item')} up, ↓ ${plural(r.down, 'item')} down.`];
  if (r.pending) lines.push(`${plural(r.pending, 'item')} from the relay wait for earlier items of the same device (kept; applied when those arrive).`);
  if (r.quarantined) lines.push(`${plural(r.quarantined, 'item')} refused in total (see "mindstage sync status").`);
  return lines;
}

/** Prints the problems of a round and fails with exit code 4 when there were any. */
function failOnProblems(r: SyncRound): void {
  if (r.problems.length === 0) return;
  for (const p of r.problems) process.stderr.write(`mindstage: ${p.message}\n`);
  throw new MindstageError('integrity', `${plural(r.problems.length, 'item')} from the relay failed verification and ${r.problems.length === 1 ? 'was' : 'were'} not applied.`, r.problems[0]!.recordId ? { recordId: r.problems[0]!.recordId } : undefined);
}

function statusLines(s: SyncStatusView): string[] {
  if (!s.enabled) return [s.pendingWipe ? `Sync is off. A wipe is still pending on ${s.pendingWipe.relay}.` : 'Sync is off. Enable it with "mindstage sync enable --relay URL".'];
  return [
    `Relay: ${s.relayUrl} (${s.state})`,
    `Account: ${s.accountId}`,
    `This device: ${s.deviceId}`,
    `Waiting to upload: ${s.outbox}; waiting for earlier items: ${s.pending}; refused: ${s.quarantined}; cursor ${s.cursor}`,
    `Recovery from the relay: ${s.recoveryReady ? 'ready' : 'not set up ("sync enable --relay URL --recovery-key CODE")'}`,
    ...(s.withheld ? [`Warning: ${s.withheld}`] : []),
    ...(s.lastError ? [`Last error: ${s.lastError.message}`] : []),
    ...(s.pendingMessage ? [s.pendingMessage] : []),
    ...s.problems.map((p) => `Refused: ${p.message}`),
  ];
}

export function registerSyncCommands(program: Command, ctx: CliContext): void {
  const sync = program
    .command('sync')
    .description('sync with your other devices through the relay: one round, or --watch to stay connected')
    .option('--watch', 'stay connected: live updates both ways, reconnecting with backoff; stop with Ctrl-C')
    .action((o: { watch?: boolean }) =>
      ctx.withCore(async (call, core) => {
        const first = await call('sync.now', {});
        ctx.out().result(first, roundLines(first));
        if (first.wiped || !o.watch) return failOnProblems(first);
        const json = ctx.out().json;
        let last = '';
        core.on('sync.status', (s) => {
          const line = `${s.state}${s.retryInMs !== undefined && s.state === 'offline' ? ` (retrying in ${Math.round(s.retryInMs / 100) / 10} s${s.lastError ? `: ${s.lastError.message}` : ''})` : ''}`;
          if (json) process.stdout.write(`${JSON.stringify({ event: 'sync.status', state: s.state, outbox: s.outbox, pending: s.pending, quarantined: s.quarantined, cursor: s.cursor })}\n`);
          else if (line !== last) process.stderr.write(`sync: ${line}\n`);
          last = line;
        });
        core.on('records.changed', (e) => {
          if (!json) process.stdout.write(`↓ changed: ${e.ids.join(', ')}\n`);
        });
        const stopped = new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          core.on('vault.locked', (e) => {
            if (e.reason === 'wipe') {
              process.stdout.write('This account was wiped from another device; this device\'s vault was wiped too.\n');
              resolve();
            }
          });
        });
        await call('sync.setWatch', { on: true });
        await stopped;
        await call('sync.setWatch', { on: false }).catch(() => undefined);
      }),
    );

  sync
    .command('enable')
    .description('enroll this device with a relay (creating the account on first use) and pin the relay\'s key')
    .requiredOption('--relay <url>', 'the relay, e.g. ws://127.0.0.1:8787')
    .option('--recovery-key <code>', 'also set up restoring from the relay with the recovery key alone (or MINDSTAGE_RECOVERY_KEY)')
    .action((o: { relay: string; recoveryKey?: string }) =>
      ctx.withCore(async (call) => {
        const recoveryKey = o.recoveryKey ?? (process.env['MINDSTAGE_RECOVERY_KEY'] || undefined);
        const on = await call('sync.enable', { relayUrl: o.relay, ...(recoveryKey ? { recoveryKey } : {}) });
        const first = await call('sync.now', {});
        ctx.out().result({ ...on, round: first }, [
          `Sync enabled with ${o.relay}.`,
          `Account: ${on.accountId}`,
          `This device: ${on.deviceId}`,
          `Relay key (pinned): ${on.relayKey}`,
          on.recoveryReady ? 'Recovery from the relay with the recovery key: ready.' : 'Recovery from the relay is not set up (pass --recovery-key to set it up).',
          ...roundLines(first),
        ]);
        failOnProblems(first);
      }),
    );

  sync
    .command('status')
    .description('what sync is doing: relay, this device, waiting and refused items')
    .action(() =>
      ctx.withCore(async (call) => {
        const s = await call('sync.status', {});
        ctx.out().result(s, statusLines(s));
      }),
    );

  const devices = program
    .command('devices')
    .description('list the devices of this account')
    .action(() =>
      ctx.withCore(async (call) => {
        const list = await call('devices.list', {});
        ctx.out().result(
          list,
          list.map((d) => `${d.deviceId}  ${d.name ? `"${d.name}"  ` : ''}enrolled ${new Date(d.enrolledAt).toISOString()}${d.removedAt ? `  REMOVED ${new Date(d.removedAt).toISOString()}` : ''}${d.thisDevice ? '  (this device)' : ''}`),
        );
      }),
    );
  devices
    .command('rename')
    .argument('<id>', 'device id (from "mindstage devices")')
    .requiredOption('--name <name>', 'the name every device of the account shows for it (up to 60 characters)')
    .description('name a device; the name is kept in the encrypted vault, never on the relay')
    .action((id: string, o: { name: string }) =>
      ctx.withCore(async (call) => {
        await call('devices.rename', { deviceId: id.toLowerCase(), name: o.name });
        ctx.out().result({ deviceId: id.toLowerCase(), name: o.name.trim() }, `Device ${id.toLowerCase()} is now called "${o.name.trim()}".`);
      }),
    );
  devices
    .command('remove')
    .argument('<id>', 'device id (from "mindstage devices")')
    .description('remove a device: the relay refuses it from now on, and every key it knew is replaced so it cannot read what follows')
    .action((id: string) =>
      ctx.withCore(async (call) => {
        const r = await call('devices.remove', { deviceId: id.toLowerCase() });
        ctx.out().result(r, [
          `Removed device ${r.removed}.`,
          `Keys replaced: the content key moved to new epoch ${r.epoch}, sealed to the remaining devices only, and this device now uses a new vault key (the others switch on their next sync).`,
          ...(r.recoveryKey
            ? ['', 'Your recovery key had to be replaced. Write down the new one now; the old one no longer opens what is written from now on:', '', `  ${r.recoveryKey}`]
            : []),
        ]);
      }),
    );

  const pair = program.command('pair').description('add a new device to this vault');
  pair
    .command('create')
    .description('print a one-time code for a new device (valid 10 minutes unless --ttl)')
    .option('--ttl <minutes>', 'minutes the code stays valid (1–1440)', (v) => Number.parseInt(v, 10))
    .action((o: { ttl?: number }) =>
      ctx.withCore(async (call) => {
        const r = await call('pair.create', o.ttl === undefined ? {} : { ttlMinutes: o.ttl });
        ctx.out().result(r, [
          `Pairing code (one use, expires ${new Date(r.expiresAt).toISOString()}):`,
          '',
          `  ${r.code}`,
          '',
          `On the new device: mindstage --data NEW_FOLDER pair join ${r.code} --relay ${r.relayUrl}`,
        ]);
      }),
    );
  pair
    .command('join')
    .argument('<code>', 'the code printed by "pair create" on the other device')
    .requiredOption('--relay <url>', 'the relay the other device uses')
    .description('on a new --data folder: receive the vault, choose a passphrase (MINDSTAGE_PASSPHRASE), enroll and pull everything')
    .action((code: string, o: { relay: string }) =>
      ctx.withCore(async (call) => {
        const passphrase = await readNewSecret('MINDSTAGE_PASSPHRASE', 'Choose a passphrase for this device: ', 'passphrase');
        const r = await call('pair.join', { code, relayUrl: o.relay, passphrase });
        ctx.out().result(r, [`Joined vault ${r.vaultId} as device ${r.deviceId}.`, ...roundLines(r.round)]);
        failOnProblems(r.round);
      }, { unlock: false }),
    );

  program
    .command('wipe')
    .description('delete everything: on the relay first (receipt verified), then this device; --local-only skips the relay')
    .option('--yes', 'confirm: this cannot be undone')
    .option('--local-only', 'wipe this device only; the relay and other devices keep their data')
    .option('--recovery-key <code>', 'with --relay, from any folder: wipe the account on the relay with the recovery key alone (every device lost)')
    .option('--relay <url>', 'the relay, with --recovery-key')
    .action((o: { yes?: boolean; localOnly?: boolean; recoveryKey?: string; relay?: string }) => {
      if (!o.yes) throw new MindstageError('usage', 'Wiping cannot be undone: run "mindstage wipe --yes" to confirm.');
      if (o.recoveryKey !== undefined || o.relay !== undefined) {
        if (o.recoveryKey === undefined || o.relay === undefined || o.localOnly) throw new MindstageError('usage', 'Wiping with the recovery key needs both --recovery-key and --relay (and no --local-only).');
        return ctx.withCore(async (call) => {
          const receipt = await call('account.wipeWithRecoveryKey', { recoveryKey: o.recoveryKey!, relayUrl: o.relay! });
          ctx.out().result(receipt, wipeLines({ remote: 'wiped', receipt, local: 'nothing', files: [] }, ctx.dataDir()).slice(0, -1));
        }, { unlock: false });
      }
      return ctx.withCore(async (call) => {
        const status = await call('vault.status', {});
        if (status.exists && !o.localOnly) {
          const { readSecret } = await import('../secrets.node.ts');
          await call('vault.unlock', { passphrase: await readSecret('MINDSTAGE_PASSPHRASE', 'Passphrase: ', 'passphrase') });
        }
        const r = await call('vault.wipe', o.localOnly ? { localOnly: true } : {});
        ctx.out().result(r, wipeLines(r, ctx.dataDir()));
        if (r.remote === 'pending') throw new MindstageError('network', `The remote part of the wipe is pending: ${r.remoteError ?? 'the relay could not be reached'}`);
      }, { unlock: false });
    });
}

function wipeLines(r: WipeReport, dataDir: string): string[] {
  const lines: string[] = [];
  if (r.remote === 'wiped' && r.receipt) {
    const c = r.receipt.counts;
    lines.push(
      `Relay ${r.receipt.relay}: wiped at ${new Date(r.receipt.wipedAt).toISOString()}. Receipt verified with the pinned relay key ${r.receipt.relayKey}:`,
      `  deleted ${plural(c.updates, 'update')}, ${plural(c.snapshots, 'snapshot')}, ${plural(c.tombstones, 'tombstone')}, ${plural(c.devices, 'device')}, ${plural(c.pairings, 'pairing')} (${c.bytes} bytes).`,
      '  Your other devices wipe themselves when they next connect.',
    );
  } else if (r.remote === 'pending') {
    lines.push(
      `Relay: NOT wiped yet — ${r.remoteError ?? 'it could not be reached'}.`,
      `  The signed wipe request is saved in ${dataDir}/pending-wipe.json (it holds no secret).`,
      `  Run "mindstage --data ${dataDir} wipe --yes" when the relay is reachable to finish.`,
    );
  } else if (r.remote === 'not_enabled') lines.push('Relay: sync was not enabled; nothing to wipe there.');
  else lines.push(`Relay: not touched (--local-only).${r.pendingFile ? ' A wipe of the relay is still pending (pending-wipe.json).' : ''}`);
  if (r.publicCards) lines.push(publicCardsText(r.publicCards));
  if (r.local === 'wiped') lines.push(`This device: deleted ${r.files.join(', ')}; keys cleared from memory.`);
  else lines.push('This device: nothing left to delete.');
  return lines;
}
