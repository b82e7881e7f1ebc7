/**
 * The promise on disk: after a session that writes distinctive canaries into every record kind and field type and
 * many messages, no file under the data folder (database, WAL, SHM, journals, anything) holds any canary — in UTF-8,
 * UTF-16 or base64 — and the same after a passphrase change, after compaction and after deletion. A control proves
 * the scan finds what is there.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore, type Core } from '../../electron/core/core.node.ts';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { COMPACT_EVERY } from '../../electron/core/docs/repo.node.ts';
import { findSecrets, tempDir } from '../support/files.node.ts';
import { runCli } from '../support/cli.node.ts';

const run = randomBytes(6).toString('hex');
const canary = (what: string) => `CANARY-${what}-${run}`;
const canaries: string[] = [];
const c = (what: string) => {
  const s = canary(what);
  // Each distinct canary once: the compaction test reuses seven of them 320 times, and every listed string is
  // searched for, in six encodings, through every file of the folder.
  if (!canaries.includes(s)) canaries.push(s);
  return s;
};

let dir: string;
let core: Core;
let call: Call;
const PASS = `passphrase-${run}`;
let conversationId = '';

beforeAll(async () => {
  dir = tempDir('canary');
  core = await openCore({ dataDir: dir });
  call = callFor(core);
  await call('vault.create', { passphrase: PASS });
  const { id: persona } = await call('persona.create', { name: c('persona-name'), description: c('persona-description') });
  const { id: character } = await call('character.create', {
    name: c('character-name'),
    description: c('description'),
    personality: c('personality'),
    scenario: c('card-scenario'),
    first_mes: c('first-message'),
    mes_example: c('example-dialogue'),
    system_prompt: c('system-prompt'),
    post_history_instructions: c('post-history'),
    creator_notes: c('creator-notes'),
    alternate_greetings: [c('alt-greeting')],
    tags: [c('tag')],
    extensions: { app: { note: c('extension') } },
    character_book: { entries: [{ keys: [c('lore-key')], content: c('lore-content') }] },
  });
  const { id: scenario } = await call('scenario.create', {
    title: c('scenario-title'),
    setting: c('setting'),
    characterIds: [character],
    personaId: persona,
    openingMessages: [c('opening')],
  });
  const { id } = await call('conversation.create', { characterIds: [character], scenarioId: scenario, personaId: persona, title: c('conversation-title') });
  conversationId = id;
  for (let i = 0; i < 500; i++) {
    const text = i % 50 === 0 ? `${c(`message-${i}`)} — ünïcödé ✨ 日本語 ${c(`utf-${i}`)}` : `ordinary message ${i}`;
    await call('conversation.addMessage', { id, role: i % 2 ? 'character' : 'user', text });
  }
  const last = await call('conversation.addMessage', { id, role: 'user', text: 'to be edited' });
  await call('conversation.editMessage', { id, messageId: last.id, text: c('edited') });
  await call('provider.add', { name: 'p', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKey: c('api-key') });
  await call('assets.setAvatar', { recordId: character, kind: 'character', mime: 'image/png', bytesBase64: Buffer.from(c('avatar-bytes')).toString('base64') });
});

afterAll(() => core.close());

describe('canaries never reach the disk', () => {
  it('the scan finds a canary that is there (control)', () => {
    const control = tempDir('canary-control');
    writeFileSync(join(control, 'plain.txt'), `xx ${canaries[3]} yy`);
    writeFileSync(join(control, 'utf16.txt'), Buffer.from(`zz${canaries[5]}`, 'utf16le'));
    writeFileSync(join(control, 'b64.txt'), Buffer.from(`q${canaries[7]}`).toString('base64'));
    const hits = findSecrets(control, canaries).map((h) => h.secret);
    expect(hits).toEqual(expect.arrayContaining([canaries[3], canaries[5], canaries[7]]));
  });

  it('while the vault is open and after it is closed', async () => {
    expect(canaries.length).toBeGreaterThan(25);
    expect(findSecrets(dir, [...canaries, PASS])).toEqual([]);
    // The data really is there: it decrypts.
    const conv = await call('conversation.get', { id: conversationId });
    expect(conv.messages.some((m) => m.alternatives[0]!.text.includes(canary('edited')))).toBe(true);
  });

  it('after compaction', async () => {
    for (let i = 0; i < COMPACT_EVERY + 20; i++) await call('conversation.addMessage', { id: conversationId, role: 'user', text: `${c(`compact-${i % 7}`)} ${i}` });
    expect(findSecrets(dir, canaries)).toEqual([]);
  });

  it('after a passphrase change (through the CLI) and after deleting records', async () => {
    await core.close();
    const r = runCli(['--data', dir, 'passphrase', 'change'], { env: { MINDSTAGE_PASSPHRASE: PASS, MINDSTAGE_NEW_PASSPHRASE: `new-${PASS}` } });
    expect(r.code, r.stderr).toBe(0);
    expect(findSecrets(dir, [...canaries, PASS, `new-${PASS}`])).toEqual([]);
    core = await openCore({ dataDir: dir });
    call = callFor(core);
    await call('vault.unlock', { passphrase: `new-${PASS}` });
    await call('conversation.delete', { id: conversationId });
    expect(findSecrets(dir, canaries)).toEqual([]);
  });
});
