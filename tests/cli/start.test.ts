/**
 * What a CLI call loads (issue 9, docs/decisions.md #20 and #54): `--help` only commander and the command
 * definitions, `conversation list` the core without the provider SDK, the tokenizers, PostgreSQL or the import and
 * sync code. Checked by module, in real processes through bin/mindstage, because it has quietly regressed before: a
 * command definition that imported a zod schema brought zod back into `--help` (39 → 136 modules). How long a start
 * takes is the bench's (`npm run bench -- cli`), never a test's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { runCli } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';

const PASS = 'start test passphrase';
let dir: string;
let data: string;

/** Preloaded into the CLI: records every module the process (any of its threads) loads, written at exit. */
const recorder = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
process.on('exit', () => appendFileSync(process.env.MS_LOADED_LOG, loaded.join('\\n') + '\\n'));
`)}`;

function loadedBy(args: string[], log: string) {
  const r = runCli(args, { env: { MINDSTAGE_PASSPHRASE: PASS, MS_LOADED_LOG: log, NODE_OPTIONS: `--import=${recorder}` } });
  expect(r.code, r.stderr).toBe(0);
  const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const packages = new Set(urls.map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter(Boolean));
  return { stdout: r.stdout, urls, packages };
}

beforeAll(async () => {
  dir = tempDir('cli-start');
  data = join(dir, 'vault');
  const core = await openCore({ dataDir: data });
  try {
    const call = callFor(core);
    await call('vault.create', { passphrase: PASS });
    const { id } = await call('character.create', { name: 'Start', description: 'A character to list.' });
    await call('conversation.create', { title: 'A conversation to list', characterIds: [id] });
  } finally {
    await core.close();
  }
});

describe('what a CLI call loads', () => {
  it('--help: commander and the command definitions, not zod, the core, SQLite or libsodium', () => {
    const { stdout, packages } = loadedBy(['--help'], join(dir, 'help.log'));
    expect(stdout).toContain('conversation');
    expect([...packages]).toEqual(['commander']);
  });

  it('conversation list: the core it needs, not the provider SDK, tokenizers, PostgreSQL, import or sync code', () => {
    const { stdout, urls, packages } = loadedBy(['--data', data, 'conversation', 'list'], join(dir, 'list.log'));
    expect(stdout).toContain('A conversation to list');
    for (const heavy of ['openai', 'gpt-tokenizer', 'llama3-tokenizer-js', 'mistral-tokenizer-js', 'pg', 're2js', 'fflate', 'marked', 'png-chunks-extract', 'ws']) {
      expect(packages, heavy).not.toContain(heavy);
    }
    // libsodium once: the key derived ahead is Node's own Argon2id, not a second libsodium on a worker thread.
    expect(urls.filter((u) => u.endsWith('/libsodium-sumo.mjs'))).toHaveLength(1);
    // Chat, card import and sync code load with their own commands (lazyHandlers in core/api/handlers.node.ts).
    const ours = urls.filter((u) => u.includes('/electron/core/')).map((u) => u.slice(u.indexOf('/electron/core/') + 15));
    expect(ours.filter((f) => /^(sync\/(?!pending-wipe)|chat\/(engine|prompt|provider-client|tokens|context|history)|cards\/|api\/(chat|card|import|sync)-handlers)/.test(f))).toEqual([]);
  });
});
