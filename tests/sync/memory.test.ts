/**
 * A conversation's memory travels with the conversation: set on one device, it arrives on the paired one through a
 * real relay process; changed there, it comes back — and its text is never in plaintext in the relay's files or
 * either device's folder. Core API, real SQLite vaults.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSecrets, tempDir } from '../support/files.node.ts';
import { spawnRelay, type RelayProcess } from '../support/relay-client.node.ts';
import { firstDevice, pairedDevice } from './core-support.node.ts';

const run = randomBytes(6).toString('hex');
const first = `MEMCANARY-first-${run}`;
const second = `MEMCANARY-second-${run}`;

describe('memory through sync', () => {
  let relay: RelayProcess;
  let relayDir: string;
  beforeAll(async () => {
    relayDir = tempDir('sync-memory-relay');
    relay = await spawnRelay(['--data', relayDir]);
  });
  afterAll(async () => {
    relay?.child.kill('SIGKILL');
    await relay?.exited;
  });

  it('arrives on the other device, comes back changed, and is ciphertext everywhere', async () => {
    const a = await firstDevice(relay.url);
    const { id: character } = await a.call('character.create', { name: 'Mira' });
    const { id } = await a.call('conversation.create', { title: 'Harbour', characterIds: [character] });
    await a.call('conversation.addMessage', { id, role: 'user', text: 'Hello.' });
    await a.call('memory.set', { conversationId: id, patch: { text: first, position: 'depth', depth: 3 } });
    await a.call('sync.now', {});

    const b = await pairedDevice(a, relay.url);
    expect(await b.call('memory.get', { conversationId: id })).toMatchObject({ text: first, position: 'depth', depth: 3, madeBy: 'edited', enabled: true });
    await b.call('memory.set', { conversationId: id, patch: { text: second, enabled: false } });
    await b.call('sync.now', {});
    await a.call('sync.now', {});
    expect(await a.call('memory.get', { conversationId: id })).toMatchObject({ text: second, enabled: false, position: 'depth' });

    expect(findSecrets(relayDir, [first, second])).toEqual([]);
    expect(findSecrets(a.dir, [first, second])).toEqual([]);
    expect(findSecrets(b.dir, [first, second])).toEqual([]);
    await a.core.close();
    await b.core.close();
  });
});
