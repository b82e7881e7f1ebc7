/**
 * Vitest global setup (vitest.config.ts): one temporary folder for the whole run, handed to every test worker and
 * every process they start as TMPDIR (os.tmpdir()), and removed when the run ends. Tests make their folders with
 * tempDir() and rarely remove them (a vault, a relay's database, a Chromium profile, a PostgreSQL cluster): one
 * full run left ~520 folders and ~280 MB in /tmp each time.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const before = process.env['TMPDIR'];
  const dir = mkdtempSync(join(tmpdir(), 'ms-run-'));
  // Others may pass through, not list: run as root, the throwaway PostgreSQL cluster's initdb runs as `postgres`
  // and must reach its folder below this one (tests/support/postgres.node.ts), as it did under /tmp.
  chmodSync(dir, 0o711);
  process.env['TMPDIR'] = dir;
  return () => {
    if (before === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = before;
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
}
