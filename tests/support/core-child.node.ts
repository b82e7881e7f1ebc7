/**
 * A core in its own process, for tests that need one (the memory scan after lock): the shared wire protocol
 * (shared/transport, what core-host.main.ts speaks to Electron's main process) as one JSON frame per line on
 * stdin/stdout. Run as `node core-child.node.ts --data <dir>`; "ready" is its first line, and closing its stdin
 * stops it. The line `promote` (not JSON) pushes what is alive into V8's old generation and answers `promoted`.
 *
 * Stdin is read into a buffer this file owns and zeroes after each read. Node's own stream reads keep the bytes of
 * recent reads in a native 64 KiB buffer that later reads overwrite only from its start, so a request carrying
 * message text would stay in the malloc heap after lock: a copy made by this stand-in transport, not by the core
 * (Electron's message port, the real transport, allocates in Chromium, which this scan cannot run; docs/storage.md).
 */
import { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { openCore } from '../../electron/core/core.node.ts';
import { dataDirFromArgs } from '../../electron/main/core-host.main.ts';
import { serveCore } from '../../shared/transport/serve.std.ts';

const core = await openCore({ dataDir: dataDirFromArgs(process.argv) });
const served = serveCore(core, (text) => void process.stdout.write(`${text}\n`));
const readBuffer = Buffer.alloc(64 * 1024);
const decoder = new StringDecoder('utf8');
let pending = '';
const stdin = new Socket({
  fd: 0,
  readable: true,
  writable: false,
  onread: {
    buffer: readBuffer,
    callback: (bytes: number) => {
      pending += decoder.write(readBuffer.subarray(0, bytes));
      readBuffer.fill(0, 0, bytes);
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line === 'promote') promote();
        else void served.receive(line);
      }
      return true;
    },
  },
});
stdin.on('end', () => {
  served.close();
  void core.close().finally(() => process.exit(0));
});
/**
 * Test-only: moves everything alive now into V8's old generation (two young collections, then two full ones), as a
 * long session on a busy machine does by itself; the old generation is where freed text used to outlive lock. Needs
 * the child to run with --expose-gc.
 */
function promote(): void {
  const collect = (globalThis as { gc?: (o?: { type: 'minor' | 'major'; execution: 'sync' }) => void }).gc;
  if (!collect) throw new Error('core-child: "promote" needs --expose-gc');
  collect({ type: 'minor', execution: 'sync' });
  collect({ type: 'minor', execution: 'sync' });
  collect({ type: 'major', execution: 'sync' });
  collect({ type: 'major', execution: 'sync' });
  process.stdout.write('promoted\n');
}

process.stdout.write('ready\n');
