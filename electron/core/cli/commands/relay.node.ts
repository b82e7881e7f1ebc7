/**
 * `mindstage relay [--host H] [--port P] [--data DIR] [--postgres URL] [--log-level L]`: runs the sync relay in the
 * foreground — the same `startRelay` as `npm run relay` (sync-server/main.node.ts, which has the rarer options).
 * Prints the URL on stdout (one JSON line with --json); the relay's JSON log lines go to stderr. Ctrl-C or SIGTERM
 * closes connections and storage, then exits 0.
 *
 * `--data` is the global option (commander hands it to the program, whichever side of `relay` it is written on),
 * but here it names the relay's folder, and its default is the relay's, never the vault's.
 */
import type { Command } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MindstageError } from '../../../../shared/result.std.ts';
import { parsePort } from '../../web/port.node.ts';
import type { CliContext } from '../context.node.ts';

const defaultRelayDir = () => join(homedir(), '.local', 'share', 'mindstage-relay');
const levels = ['fatal', 'error', 'warn', 'info', 'debug'];

export function registerRelayCommands(program: Command, ctx: CliContext): void {
  program
    .command('relay')
    .description('run a sync relay in the foreground: it stores and forwards your devices\' ciphertext and cannot read it (Ctrl-C stops)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on, 0 for a free one (default: 8787)')
    .option('--postgres <url>', 'use PostgreSQL instead of SQLite in --data (several relays can share it)')
    .option('--log-level <level>', `log level on stderr: ${levels.join(', ')}`, 'info')
    .action(async (o: { host: string; port?: string; postgres?: string; logLevel: string }) => {
      if (!levels.includes(o.logLevel)) throw new MindstageError('usage', `--log-level must be one of ${levels.join(', ')}.`);
      // The relay, pino and (with --postgres) pg load only when a relay runs.
      const [{ default: pino }, { startRelay }] = await Promise.all([import('pino'), import('../../../../sync-server/relay.node.ts')]);
      const port = o.port === undefined ? 8787 : parsePort(o.port);
      const dataDir = program.opts<{ data?: string }>().data ?? defaultRelayDir();
      const logger = pino({ level: o.logLevel, base: { service: 'mindstage-relay' } }, pino.destination({ fd: 2, sync: true }));
      let relay;
      try {
        relay = await startRelay({ host: o.host, port, dataDir, postgresUrl: o.postgres, logger });
      } catch (e) {
        const code = (e as { code?: string }).code;
        const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : String((e as Error).message ?? e).slice(0, 200);
        throw new MindstageError('network', `The relay could not start: ${why}.`);
      }
      const storage = o.postgres ? 'PostgreSQL' : `SQLite in ${dataDir}`;
      ctx.out().result({ url: relay.url, relayKey: Buffer.from(relay.relayKey).toString('hex'), storage: relay.storage.kind }, [
        `Mindstage relay listening on ${relay.url} (${storage}).`,
        'Devices connect with "mindstage sync enable --relay URL". Ctrl-C stops it.',
      ]);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await relay.close();
    });
}
