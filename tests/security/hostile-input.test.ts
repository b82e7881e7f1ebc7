/**
 * Issue 15's hostile inputs, each with its clear error: JSON with prototype keys or absurd nesting (cards, PNG card
 * chunks, imports), a relay over plain ws:// off this machine, a header whose KDF settings were raised, a closed
 * output pipe; and the quiet defaults: vault files 0600 in a 0700 folder, exported PNG cards without the avatar's
 * other metadata.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import extractChunks from 'png-chunks-extract';
import encodeChunks from 'png-chunks-encode';
import * as pngText from 'png-chunk-text';
import { describe, expect, it } from 'vitest';
import { MindstageError } from '../../shared/result.std.ts';
import { jsonTextDepth, MAX_JSON_DEPTH } from '../../shared/json-guard.std.ts';
import { exportCard, importCard } from '../../electron/core/cards/index.node.ts';
import { createMemoryStorage } from '../../electron/core/store/storage.node.ts';
import { decodeHeader, encodeHeader } from '../../electron/core/vault/header.node.ts';
import { createVault, unlockVault } from '../../electron/core/vault/vault.node.ts';
import { checkRelayUrl, isLoopbackHost } from '../../electron/core/sync/connection.node.ts';
import { cliJson, cliPath, runCli } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';

const env = { MINDSTAGE_PASSPHRASE: 'hostile input passphrase', MINDSTAGE_DATA: undefined };
const enc = new TextEncoder();

function refusal(run: () => unknown): MindstageError {
  try {
    run();
  } catch (e) {
    if (e instanceof MindstageError) return e;
    throw new Error(`expected a MindstageError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a refusal');
}

const card = (extra: string) => `{"spec":"chara_card_v2","spec_version":"2.0","data":{"name":"Eve","description":"d"${extra}}}`;
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

describe('hostile JSON', () => {
  it('measures nesting without parsing, skipping brackets inside strings', () => {
    expect(jsonTextDepth('{"a":[1,{"b":"[[[[["}]}')).toBe(3);
    expect(jsonTextDepth('"\\"[[["')).toBe(0);
    expect(jsonTextDepth(deep(200_000))).toBe(MAX_JSON_DEPTH + 1); // stops early
  });

  it('refuses cards with prototype keys as usage, naming the key', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const e = refusal(() => importCard(enc.encode(card(`,"extensions":{"x":{"${key}":{"polluted":true}}}`)), 'eve.json'));
      expect(e.code).toBe('usage');
      expect(e.message).toContain(`a field named "${key}"`);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses cards nested deeper than 64 levels, in JSON files and in PNG chunks', () => {
    const e = refusal(() => importCard(enc.encode(card(`,"extensions":{"deep":${deep(200_000)}}`)), 'deep.json'));
    expect(e.code).toBe('usage');
    expect(e.message).toMatch(/nests deeper than 64 levels/);
    const fixture = new Uint8Array(readFileSync(new URL('../../../shared/fixtures/cards/invalid-no-card-chunk.png', import.meta.url)));
    const chunks = extractChunks(fixture);
    const iend = chunks.pop()!;
    const png = encodeChunks([...chunks, pngText.encode('chara', Buffer.from(card(`,"extensions":{"deep":${deep(100)}}`)).toString('base64')), iend]);
    expect(refusal(() => importCard(png)).message).toMatch(/chunk nests deeper than 64 levels/);
    // 64 levels is still a card.
    expect(importCard(enc.encode(card(`,"extensions":{"ok":${deep(60)}}`)), 'ok.json').fields.name).toBe('Eve');
  });

  it('refuses such imports and cards at the CLI with exit 2 and one clear line', () => {
    const dir = tempDir('hostile-cli');
    expect(runCli(['--data', dir, 'init'], { env }).code).toBe(0);
    const proto = join(dir, 'proto.json');
    writeFileSync(proto, card(',"extensions":{"__proto__":{"isAdmin":true}}'));
    const r1 = runCli(['--data', dir, 'character', 'import', proto], { env });
    expect(r1).toMatchObject({ code: 2 });
    expect(r1.stderr).toMatch(/^mindstage: .*a field named "__proto__"/);
    const deepFile = join(dir, 'deep.json');
    writeFileSync(deepFile, `{"format":"mindstage-export","version":1,"x":${deep(200_000)}}`);
    const r2 = runCli(['--data', dir, 'import', deepFile], { env });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/export file nests deeper than 64 levels/);
    expect(r2.stderr).not.toMatch(/Something went wrong|at .*\.ts:\d+/);
    const protoExport = join(dir, 'proto-export.json');
    writeFileSync(protoExport, '{"format":"mindstage-export","version":1,"characters":[{"constructor":{"prototype":{}}}]}');
    const r3 = runCli(['--data', dir, 'import', protoExport], { env });
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/a field named "constructor"/);
  });
});

describe('relay addresses', () => {
  it('requires wss:// except for this machine', () => {
    for (const host of ['127.0.0.1', '127.3.4.5', 'localhost', '[::1]', 'app.localhost']) expect(checkRelayUrl(`ws://${host}:8787`)).toMatch(/^ws:/);
    expect(checkRelayUrl('wss://relay.example.org')).toBe('wss://relay.example.org');
    for (const url of ['ws://relay.example.org:8787', 'ws://10.0.0.2:8787', 'ws://127.0.0.1.example.org', 'ws://[::2]:1']) {
      const e = refusal(() => checkRelayUrl(url));
      expect(e.code).toBe('usage');
      expect(e.message).toMatch(/must be reached with wss:\/\//);
    }
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });

  it('refuses `sync enable --relay ws://relay.invalid:8787` with exit 2 before any connection', () => {
    const dir = tempDir('hostile-ws');
    expect(runCli(['--data', dir, 'init'], { env }).code).toBe(0);
    const r = runCli(['--data', dir, 'sync', 'enable', '--relay', 'ws://relay.invalid:8787'], { env });
    // A connection attempt would have ended in "cannot reach" (network, exit 5): .invalid never resolves.
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/relay\.invalid:8787 must be reached with wss:\/\//);
    expect(cliJson<{ enabled: boolean }>(['--data', dir, 'sync', 'status'], env).enabled).toBe(false);
  });
});

describe('vault header', () => {
  it('reports KDF settings raised in the header as altered, and a wrong passphrase as wrong', () => {
    const s = createMemoryStorage();
    createVault(s, 'right');
    expect(refusal(() => unlockVault(s, 'wrong')).code).toBe('wrong_secret');
    const h = decodeHeader(s.readHeader()!);
    s.writeHeader(encodeHeader({ ...h, kdf: { ...h.kdf, opslimit: h.kdf.opslimit + 1 } }));
    const e = refusal(() => unlockVault(s, 'right'));
    expect(e.code).toBe('integrity');
    expect(e.message).toMatch(/header was altered/);
    expect(e.message).not.toMatch(/passphrase\.$/);
  });
});

describe('files and output', () => {
  it('creates the vault 0600 (WAL and shared memory too) in a 0700 folder', () => {
    const dir = join(tempDir('modes'), 'vault');
    expect(runCli(['--data', dir, 'init'], { env }).code).toBe(0);
    expect(runCli(['--data', dir, 'character', 'create', '--name', 'Mode'], { env }).code).toBe(0);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of ['mindstage.db', 'mindstage.db-wal', 'mindstage.db-shm']) {
      if (!existsSync(join(dir, f))) continue; // WAL/SHM exist only while open or after a crash
      expect([f, statSync(join(dir, f)).mode & 0o777]).toEqual([f, 0o600]);
    }
  });

  it('ends quietly with exit 0 when the reader closes the pipe', async () => {
    const dir = tempDir('epipe');
    expect(runCli(['--data', dir, 'init'], { env }).code).toBe(0);
    for (const name of ['One', 'Two']) expect(runCli(['--data', dir, 'character', 'create', '--name', name], { env }).code).toBe(0);
    // As typed: `mindstage character list | head -1`.
    const piped = spawnSync('bash', ['-c', `set -o pipefail; "${cliPath}" --data "${dir}" character list | head -1`], { env: { ...process.env, ...env, MINDSTAGE_DATA: '' }, encoding: 'utf8' });
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(piped.stderr).toBe('');
    // And with the pipe certainly closed before the first write (so EPIPE does happen).
    const child = spawn(cliPath, ['--data', dir, 'character', 'list'], { env: { ...process.env, ...env, MINDSTAGE_DATA: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
  });

  it('exports PNG cards without the avatar image’s other metadata, unless asked to keep it', () => {
    const fixture = new Uint8Array(readFileSync(new URL('../../../shared/fixtures/cards/invalid-no-card-chunk.png', import.meta.url)));
    const chunks = extractChunks(fixture);
    const iend = chunks.pop()!;
    const avatar = encodeChunks([...chunks, pngText.encode('prompt', '{"3":{"inputs":{"text":"a secret prompt"}}}'), { name: 'tIME', data: new Uint8Array(7) }, iend]);
    const names = (bytes: Uint8Array) => extractChunks(bytes).map((c) => (c.name === 'tEXt' ? `tEXt:${pngText.decode(c).keyword}` : c.name));
    const plain = exportCard({ name: 'Eve' }, 'png', { mime: 'image/png', bytes: avatar });
    expect(names(plain)).not.toContain('tEXt:prompt');
    expect(names(plain)).not.toContain('tIME');
    expect(names(plain)).toEqual(expect.arrayContaining(['IHDR', 'IDAT', 'tEXt:chara', 'tEXt:ccv3', 'IEND']));
    expect(Buffer.from(plain).includes('a secret prompt')).toBe(false);
    const kept = exportCard({ name: 'Eve' }, 'png', { mime: 'image/png', bytes: avatar }, [], { keepImageMetadata: true });
    expect(names(kept)).toEqual(expect.arrayContaining(['tEXt:prompt', 'tIME', 'tEXt:chara']));
    expect(importCard(plain).fields.name).toBe('Eve');
  });
});
