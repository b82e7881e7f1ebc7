/**
 * CLI start: wall time of `bin/mindstage --help` and of `bin/mindstage conversation list` on a vault, each beside
 * what it cannot go below in this run — `node -e ''` (starting the pinned Node at all) and one Argon2id
 * derivation at the vault's parameters (unlocking is slow on purpose). Targets from issue 9: --help < 150 ms,
 * conversation list < Argon2id + 200 ms.
 *
 * Each command runs once unmeasured first, as a user's second run would: the launcher's compile cache
 * (NODE_COMPILE_CACHE, bin/mindstage) is then warm. The cold first run is printed too, without a target.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { deriveKek, newKdfParams } from '../../electron/core/crypto/sodium.node.ts';
import { median, sample, type BenchRow } from './report.node.ts';

const root = join(import.meta.dirname, '..', '..');
const launcher = join(root, 'bin', 'mindstage');
const node = join(root, 'node_modules', '.bin', 'node');
const PASS = 'benchmark passphrase';

function timed(file: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  const r = spawnSync(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(0, 500)}`);
  return ms;
}

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ms-bench-cli-'));
  const data = join(dir, 'vault');
  // A cold compile cache of its own, so "cold" means cold and the user's cache is left alone.
  const env = { ...process.env, MINDSTAGE_PASSPHRASE: PASS, NODE_COMPILE_CACHE: join(dir, 'compile-cache') };
  try {
    const core = await openCore({ dataDir: data });
    try {
      const call = callFor(core);
      await call('vault.create', { passphrase: PASS });
      const { id } = await call('character.create', { name: 'Bench', description: 'A character for benchmarks.' });
      for (let i = 0; i < 20; i++) await call('conversation.create', { title: `conversation ${i}`, characterIds: [id] });
    } finally {
      await core.close();
    }

    const nodeE = median(await sample(9, () => timed(node, ['-e', ''], env)));
    const helpCold = timed(launcher, ['--help'], env);
    const help = median(await sample(9, () => timed(launcher, ['--help'], env), 1));
    const listCold = timed(launcher, ['--data', data, 'conversation', 'list'], env);
    const list = median(await sample(5, () => timed(launcher, ['--data', data, 'conversation', 'list'], env), 1));
    const params = newKdfParams();
    const argon = median(await sample(5, () => deriveKek(PASS, params), 1));

    return [
      { suite: 'cli', name: 'mindstage --help (first run, cold compile cache)', value: helpCold, unit: 'ms', baselineName: "node -e ''", baseline: nodeE },
      { suite: 'cli', name: 'mindstage --help (median)', value: help, unit: 'ms', baselineName: "node -e ''", baseline: nodeE, target: '< 150 ms', pass: help < 150 },
      { suite: 'cli', name: 'conversation list, 20 conversations (first run)', value: listCold, unit: 'ms', baselineName: 'Argon2id', baseline: argon },
      {
        suite: 'cli',
        name: 'conversation list, 20 conversations (median)',
        value: list,
        unit: 'ms',
        baselineName: 'Argon2id',
        baseline: argon,
        target: '< Argon2id + 200 ms',
        pass: list < argon + 200,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
