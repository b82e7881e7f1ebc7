/**
 * A core in its own process, for tests that need one (the memory scan after lock): the shared wire protocol
 * (shared/transport, what core-host.main.ts speaks to Electron's main process) as one JSON frame per line on
 * stdin/stdout. Run as `node core-child.node.ts --data <dir>`; "ready" is its first line, and closing its stdin
 * stops it.
 */
import { createInterface } from 'node:readline';
import { openCore } from '../../electron/core/core.node.ts';
import { dataDirFromArgs } from '../../electron/main/core-host.main.ts';
import { serveCore } from '../../shared/transport/serve.std.ts';

const core = await openCore({ dataDir: dataDirFromArgs(process.argv) });
const served = serveCore(core, (text) => void process.stdout.write(`${text}\n`));
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => void served.receive(line));
lines.on('close', () => {
  served.close();
  void core.close().finally(() => process.exit(0));
});
process.stdout.write('ready\n');
