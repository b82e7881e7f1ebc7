/**
 * `npm run relay -- [--host H] [--port P] [--data DIR] [--postgres URL] [--retention-days N] [--log-level L]`
 *
 * Logs go to stdout as JSON lines (pino); the first line of interest is {"msg":"relay listening","url":…}.
 * SIGINT/SIGTERM close connections and storage cleanly; SIGKILL loses nothing acknowledged (see storage).
 */
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { defaultLimits, type RelayLimits } from './limits.node.ts';
import { startRelay } from './relay.node.ts';

/** `--limit name=value`: any numeric limit of limits.node.ts, by its name (docs/sync-protocol.md lists them). */
const numericLimits = Object.keys(defaultLimits).filter((k) => typeof defaultLimits[k as keyof RelayLimits] === 'number');
const limit = (v: string, acc: Partial<Record<string, number>>) => {
  const m = /^([A-Za-z]+)=(\d+(?:\.\d+)?)$/.exec(v);
  if (!m || !numericLimits.includes(m[1]!)) throw new InvalidArgumentError(`expected name=number with a name among: ${numericLimits.join(', ')}.`);
  return { ...acc, [m[1]!]: Number(m[2]) };
};

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
  .option('--limit <name=value>', 'set one limit (repeatable), e.g. maxConnectionsPerAddress=64', limit, {})
  .option('--invite-tokens <file>', 'require an invite token (one per line in this file) to create a new account')
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
  limit: Partial<RelayLimits>;
  inviteTokens?: string;
  logLevel: string;
}>();

function inviteTokens(file: string): string[] {
  const tokens = readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (tokens.length === 0) program.error(`${file} holds no invite tokens (one per line).`, { exitCode: 2 });
  return tokens;
}

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
      ...o.limit,
      ...(o.inviteTokens ? { inviteTokens: inviteTokens(o.inviteTokens) } : {}),
    },
  });
  const stop = () => void relay.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  logger.fatal({ err: String(e).slice(0, 300) }, 'relay failed to start');
  process.exitCode = 1;
}
