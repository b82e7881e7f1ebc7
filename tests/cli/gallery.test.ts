/**
 * The public-sharing commands as a user types them, against a real relay: publish (the notice comes first, on
 * stderr), gallery, gallery search, --json, the age gate, gallery import into another vault, unpublish, and the
 * clear errors for wrong spellings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliJsonHere, runCliHere } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';

const env = { MINDSTAGE_PASSPHRASE: 'gallery cli passphrase' };
let relay: TestRelay;
let author: string;
let reader: string;
const ms = (dir: string, ...args: string[]) => runCliHere(['--data', dir, ...args], { env });
const json = <T>(dir: string, ...args: string[]) => cliJsonHere<T>(['--data', dir, ...args], env);

beforeAll(async () => {
  relay = await startTestRelay();
  author = tempDir('cli-gallery-author');
  reader = tempDir('cli-gallery-reader');
  await ms(author, 'init');
  await ms(reader, 'init');
});
afterAll(async () => {
  await relay?.close();
});

describe('mindstage publish / gallery / unpublish', () => {
  it('publishes after saying what becomes public, lists, searches, gates 18+, imports and unpublishes', async () => {
    const id = (await ms(author, 'character', 'create', '--name', 'Wren', '--description', 'A cartographer of dreams')).stdout.trim();
    const dark = (await ms(author, 'character', 'create', '--name', 'Umbra', '--description', 'Night stories')).stdout.trim();
    const pub = await ms(author, 'publish', id, '--relay', relay.url);
    expect(pub.code).toBe(0);
    expect(pub.stderr).toMatch(/Publishing makes “Wren” \(every field of the character card, its portrait and its lorebook\) public on 127\.0\.0\.1:\d+, unencrypted/);
    expect(pub.stderr).toMatch(/Anyone can read, download and copy it/);
    expect(pub.stderr).toMatch(/Unpublishing removes it from that relay at once, but not copies others have already made/);
    const galleryId = /as ([0-9a-f]{32})/.exec(pub.stdout)![1]!;
    expect((await ms(author, 'publish', dark, '--mature', '--relay', relay.url)).stdout).toMatch(/\(18\+\)/);

    const list = await ms(reader, 'gallery', '--relay', relay.url);
    expect(list.stdout).toContain(`${galleryId}  Wren`);
    expect(list.stdout).not.toContain('Umbra');
    expect(list.stdout).toMatch(/18\+ entries are hidden/);
    expect((await ms(reader, 'gallery', 'age-gate', 'on')).stdout).toMatch(/18\+ entries are shown/);
    const all = await json<{ items: { name: string; mature: boolean }[]; matureHidden: boolean }>(reader, 'gallery', '--relay', relay.url);
    expect(all.items.map((e) => [e.name, e.mature]).sort()).toEqual([['Umbra', true], ['Wren', false]]);
    expect(all.matureHidden).toBe(false);
    const found = await json<{ items: { name: string }[] }>(reader, 'gallery', 'search', 'cartographer', 'of', '--relay', relay.url);
    expect(found.items.map((e) => e.name)).toEqual(['Wren']);
    expect((await ms(reader, 'gallery', 'search', 'nothing-like-this', '--relay', relay.url)).stdout).toMatch(/Nothing matches “nothing-like-this”/);

    const imported = await json<{ id: string; name: string; kind: string }>(reader, 'gallery', 'import', galleryId, '--relay', relay.url);
    expect(imported).toMatchObject({ name: 'Wren', kind: 'character' });
    expect(await json<{ description: string }>(reader, 'character', 'show', imported.id)).toMatchObject({ description: 'A cartographer of dreams' });

    expect((await ms(author, 'unpublish', id)).stdout).toMatch(new RegExp(`Removed ${galleryId}`));
    expect((await ms(reader, 'gallery', '--relay', relay.url)).stdout).not.toContain('Wren');
    const again = await ms(author, 'unpublish', id);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/not published/);
    const gone = await ms(reader, 'gallery', 'import', galleryId, '--relay', relay.url);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/no card with this id/);
  });

  it('says clearly what is wrong', async () => {
    expect((await ms(reader, 'gallery', 'frobnicate')).stderr).toMatch(/Unknown gallery action "frobnicate"/);
    expect((await ms(reader, 'gallery', 'search')).stderr).toMatch(/Say what to search for/);
    expect((await ms(reader, 'gallery', 'import')).stderr).toMatch(/Name one gallery id/);
    expect((await ms(reader, 'gallery', 'import', 'nope', '--relay', relay.url)).stderr).toMatch(/gallery id/);
    // No sync relay and no --relay: nowhere to go.
    expect((await ms(reader, 'gallery')).stderr).toMatch(/No relay to use/);
    expect((await ms(reader, 'gallery', '--relay', 'http://example.com')).stderr).toMatch(/over TLS/);
  });
});
