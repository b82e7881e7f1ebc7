/**
 * `npm run relay -- [--host H] [--port P] [--data DIR] [--postgres URL] [--retention-days N] [--log-level L]`
 *
 * Logs go to stdout as JSON lines (pino); the first line of interest is {"msg":"relay listening","url":…}.
 * SIGINT/SIGTERM close connections and storage cleanly; SIGKILL loses nothing acknowledged (see storage).
 */
import { Command, InvalidArgumentError } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startRelay } from './relay.node.ts';

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
  return n;
};

const program = new Command('mindstage-relay')
  .description('The Mindstage sync relay: stores and forwards ciphertext between your devices; it cannot read it.')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on (0 picks a free one)', int('--port', 0, 65535), 8787)
  .option('--data <dir>', 'folder for the SQLite database', join(homedir(), '.local', 'share', 'mindstage-relay'))
  .option('--postgres <url>', 'use PostgreSQL instead of SQLite (several relays can share it)')
  .option('--retention-days <days>', 'delete accounts inactive for this many days', int('--retention-days', 1, 36500), 730)
  .option('--max-account-mb <mb>', 'storage allowed per account, in MiB', int('--max-account-mb', 1, 10_000_000))
  .option('--authority <host:port>', 'host[:port] clients dial, when behind a proxy')
  .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
  .showHelpAfterError();

program.parse();
const o = program.opts<{
  host: string;
  port: number;
  data: string;
  postgres?: string;
  retentionDays: number;
  maxAccountMb?: number;
  authority?: string;
  logLevel: string;
}>();

const logger = pino({ level: o.logLevel, base: { service: 'mindstage-relay' } });
try {
  const relay = await startRelay({
    host: o.host,
    port: o.port,
    dataDir: o.data,
    postgresUrl: o.postgres,
    authority: o.authority,
    logger,
    limits: {
      retentionMs: o.retentionDays * 24 * 3600_000,
      ...(o.maxAccountMb ? { maxBytesPerAccount: o.maxAccountMb * 1024 * 1024 } : {}),
    },
  });
  const stop = () => void relay.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  logger.fatal({ err: String(e).slice(0, 300) }, 'relay failed to start');
  process.exitCode = 1;
}
