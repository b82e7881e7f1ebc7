/**
 * Browser mode for the end-to-end tests, exactly as `mindstage web` runs it: the real renderer (built from the
 * current sources), the real core (openCore on a fresh data folder) and the real browser-mode server
 * (electron/core/web/server.node.ts), which Chromium reaches over the token WebSocket. The tests also keep a
 * handle on the core, to check what the UI stored and to act "from outside" (as the idle timer would).
 */
import { openCore } from '../../../electron/core/core.node.ts';
import type { Core } from '../../../electron/core/api/core-types.node.ts';
import { startWebServer } from '../../../electron/core/web/server.node.ts';
import { tempDir } from '../../support/files.node.ts';
import { buildRenderer } from './renderer-build.node.ts';

export interface BrowserMode {
  /**
   * An address like the one `mindstage web` prints (http://127.0.0.1:PORT/#token=…). Each read gives a fresh
   * one-time address, as a restart would: a page opened with it keeps its session across reloads, and a second
   * use of the same string is refused (see `printed`).
   */
  readonly url: string;
  /** The address printed at start-up, exactly once (tests of the one-time rule use it). */
  printed: string;
  /** The same address without the token (what the address bar shows once the page has taken it). */
  origin: string;
  core: Core;
  dataDir: string;
  /** Reasons the server refused a request (there should be none in a normal run). */
  refusals: string[];
  close(): Promise<void>;
}

export async function startBrowserMode(options: { dataDir?: string } = {}): Promise<BrowserMode> {
  const rendererDir = await buildRenderer();
  const dataDir = options.dataDir ?? tempDir('e2e-data');
  const core = await openCore({ dataDir });
  const refusals: string[] = [];
  const server = await startWebServer({ core, rendererDir, onRefused: (r) => refusals.push(r.reason) });
  return {
    get url() {
      return server.newAddress();
    },
    printed: server.url,
    origin: `http://127.0.0.1:${server.port}/`,
    core,
    dataDir,
    refusals,
    async close() {
      await server.close();
      await core.close();
    },
  };
}
