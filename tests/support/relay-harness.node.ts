/** Starts an in-process relay for a test, with its logs captured (as the JSON lines pino would print). */
import pino from 'pino';
import { startRelay, type RelayOptions, type RunningRelay } from '../../sync-server/relay.node.ts';
import { tempDir } from './files.node.ts';

export interface TestRelay extends RunningRelay {
  dataDir: string;
  logs: string[];
}

/**
 * Every test client connects from 127.0.0.1, so the per-address limits meant for the internet (anonymous requests,
 * new accounts) would make unrelated tests of one file throttle each other. Tests of those limits set them.
 */
export const testAddressLimits = { anonymousBurst: 10_000, anonymousRatePerSecond: 10_000, newAccountsPerAddressPerHour: 100_000, maxConnectionsPerAddress: 10_000 };

export async function startTestRelay(options: Partial<RelayOptions> = {}): Promise<TestRelay> {
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const dataDir = options.dataDir ?? tempDir('relay');
  const relay = await startRelay({ host: '127.0.0.1', port: 0, dataDir, logger, ...options, limits: { ...testAddressLimits, ...options.limits } });
  return { ...relay, dataDir, logs };
}
