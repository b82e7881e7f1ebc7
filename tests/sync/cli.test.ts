/**
 * The sync CLI as a user types it, against a relay process: sync enable, sync, sync status, sync --watch, pair
 * create / pair join, devices, devices remove, recover --relay, wipe --yes, wipe --yes --local-only, and the
 * refusals (wipe without --yes, join into a folder that has a vault). The commands run the program in this process
 * (runCliHere); `sync --watch` runs as a real process, as it must to receive a live change and Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliJsonHere, cliPath, runCliHere } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';
import { spawnRelay, type RelayProcess } from '../support/relay-client.node.ts';

let relay: RelayProcess;
beforeAll(async () => {
  relay = await spawnRelay(['--data', tempDir('cli-relay'), '--log-level', 'info']);
});
afterAll(async () => {
  relay?.child.kill('SIGKILL');
  await relay?.exited;
});

const env = { MINDSTAGE_PASSPHRASE: 'cli passphrase one', MINDSTAGE_DATA: undefined };

describe('sync CLI', () => {
  it('enables, syncs, pairs, lists and removes devices, restores from the relay, watches, and wipes', async () => {
    const a = tempDir('cli-a');
    const b = tempDir('cli-b');
    const c = tempDir('cli-c');
    const { recoveryKey } = await cliJsonHere<{ recoveryKey: string }>(['--data', a, 'init'], env);
    const { id } = await cliJsonHere<{ id: string }>(['--data', a, 'character', 'create', '--name', 'Cli Ada'], env);

    const enable = await runCliHere(['--data', a, 'sync', 'enable', '--relay', relay.url, '--recovery-key', recoveryKey], { env });
    expect(enable.code, enable.stderr).toBe(0);
    expect(enable.stdout).toMatch(/Sync enabled with/);
    expect(enable.stdout).toMatch(/Relay key \(pinned\): [0-9a-f]{64}/);
    expect(enable.stdout).toMatch(/Synced: ↑ \d+ items? up, ↓ 0 items down/);
    const round = await runCliHere(['--data', a, 'sync'], { env });
    expect(round).toMatchObject({ code: 0, stdout: 'Synced: ↑ 0 items up, ↓ 0 items down.\n' });
    const status = await cliJsonHere<{ enabled: boolean; recoveryReady: boolean; outbox: number }>(['--data', a, 'sync', 'status'], env);
    expect(status).toMatchObject({ enabled: true, recoveryReady: true, outbox: 0 });

    const { code } = await cliJsonHere<{ code: string }>(['--data', a, 'pair', 'create'], env);
    const join = await runCliHere(['--data', b, 'pair', 'join', code, '--relay', relay.url], { env: { ...env, MINDSTAGE_PASSPHRASE: 'cli passphrase two' } });
    expect(join.code, join.stderr).toBe(0);
    expect(join.stdout).toMatch(/Joined vault [0-9a-f]{32} as device [0-9a-f]{64}/);
    expect((await runCliHere(['--data', b, 'character', 'list'], { env: { ...env, MINDSTAGE_PASSPHRASE: 'cli passphrase two' } })).stdout).toContain('Cli Ada');
    const again = await runCliHere(['--data', b, 'pair', 'join', code, '--relay', relay.url], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);

    const devices = await cliJsonHere<{ deviceId: string; thisDevice: boolean }[]>(['--data', a, 'devices'], env);
    expect(devices).toHaveLength(2);
    const other = devices.find((d) => !d.thisDevice)!.deviceId;
    const removed = await runCliHere(['--data', a, 'devices', 'remove', other], { env });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/new epoch 1/);
    const bEnv = { ...env, MINDSTAGE_PASSPHRASE: 'cli passphrase two' };
    const refused = await runCliHere(['--data', b, 'sync'], { env: bEnv });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/This device was removed from your account/);
    // The exact sequence of issue 13: the removed device tries to wipe the account. The relay refuses it; the
    // account and A's vault stay whole, and B is told plainly (exit 3, the removed-device code).
    const wipeB = await runCliHere(['--data', b, 'wipe', '--yes'], { env: bEnv });
    expect(wipeB.code, wipeB.stderr).toBe(3);
    expect(wipeB.stderr).toMatch(/This device was removed from your account/);
    // (That A syncs on and keeps its data afterwards is tests/sync/revocation.test.ts, through the API.)

    const restored = await runCliHere(['--data', c, 'recover', '--recovery-key', recoveryKey, '--relay', relay.url], { env: { ...env, MINDSTAGE_NEW_PASSPHRASE: 'cli passphrase three' } });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/Restored vault/);
    const cEnv = { ...env, MINDSTAGE_PASSPHRASE: 'cli passphrase three' };
    expect((await runCliHere(['--data', c, 'character', 'list'], { env: cEnv })).stdout).toContain(id);

    // sync --watch: a change on A arrives live on C; Ctrl-C stops it cleanly.
    const watch = spawn(cliPath, ['--data', c, 'sync', '--watch'], { env: { ...process.env, ...cEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
    watch.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await until(() => err.includes('sync: watching'), `watching (${err})`);
    const { id: live } = await cliJsonHere<{ id: string }>(['--data', a, 'character', 'create', '--name', 'Live'], env);
    expect((await runCliHere(['--data', a, 'sync'], { env })).code).toBe(0);
    await until(() => out.includes(live), `live change (${out})`);
    watch.kill('SIGINT');
    const exit = await new Promise<number | null>((r) => watch.once('exit', r));
    expect(exit).toBe(0);

    expect((await runCliHere(['--data', a, 'wipe'], { env })).code).toBe(2);
    const wipe = await runCliHere(['--data', a, 'wipe', '--yes'], { env });
    expect(wipe.code, wipe.stderr).toBe(0);
    expect(wipe.stdout).toMatch(/Receipt verified with the pinned relay key [0-9a-f]{64}/);
    expect(wipe.stdout).toMatch(/This device: deleted .*mindstage\.db/);
    const followed = await runCliHere(['--data', c, 'sync'], { env: cEnv });
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/wiped from another device/);
    expect((await runCliHere(['--data', c, 'character', 'list'], { env: cEnv })).code).toBe(6);

    const local = await runCliHere(['--data', b, 'wipe', '--yes', '--local-only'], { env: { MINDSTAGE_PASSPHRASE: undefined } });
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toMatch(/not touched \(--local-only\)/);
  });

  it('wipes the account with the recovery key alone, from a folder with no vault', async () => {
    const a = tempDir('cli-rk-a');
    const x = tempDir('cli-rk-x');
    const { recoveryKey } = await cliJsonHere<{ recoveryKey: string }>(['--data', a, 'init'], env);
    await cliJsonHere(['--data', a, 'character', 'create', '--name', 'Gone soon'], env);
    expect((await runCliHere(['--data', a, 'sync', 'enable', '--relay', relay.url, '--recovery-key', recoveryKey], { env })).code).toBe(0);
    expect((await runCliHere(['--data', x, 'wipe', '--yes', '--relay', relay.url], { env })).code).toBe(2);
    const wipe = await runCliHere(['--data', x, 'wipe', '--yes', '--recovery-key', recoveryKey, '--relay', relay.url], { env });
    expect(wipe.code, wipe.stderr).toBe(0);
    expect(wipe.stdout).toMatch(/Receipt verified with the pinned relay key [0-9a-f]{64}/);
    expect(wipe.stdout).not.toMatch(/This device/);
    const followed = await runCliHere(['--data', a, 'sync'], { env });
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toMatch(/wiped from another device or with the recovery key/);
  });
});

async function until(cond: () => boolean, what: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
