/** Starts an in-process relay for a test, with its logs captured (as the JSON lines pino would print). */
import pino from 'pino';
import { startRelay, type RelayOptions, type RunningRelay } from '../../sync-server/relay.node.ts';
import { tempDir } from './files.node.ts';

export interface TestRelay extends RunningRelay {
  dataDir: string;
  logs: string[];
}

export async function startTestRelay(options: Partial<RelayOptions> = {}): Promise<TestRelay> {
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const dataDir = options.dataDir ?? tempDir('relay');
  const relay = await startRelay({ host: '127.0.0.1', port: 0, dataDir, logger, ...options });
  return { ...relay, dataDir, logs };
}
