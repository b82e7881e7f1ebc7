/**
 * After a local wipe, nothing of the old header's wrapped keys remains: not in the files left in the data folder,
 * and not in the bytes the database file held. The second part is observed through a hard link made before the
 * wipe: it keeps the inode (and its blocks) alive past the unlink, exactly the blocks a plain unlink would have
 * left behind on disk, so it shows whether the wipe overwrote them or only removed the name.
 */
import { linkSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';

const env = { MINDSTAGE_PASSPHRASE: 'remnants passphrase', MINDSTAGE_DATA: undefined };

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('local wipe', () => {
  it('overwrites the header and the database before unlinking: no wrapped key survives', () => {
    const root = tempDir('remnants');
    const dir = join(root, 'vault');
    expect(runCli(['--data', dir, 'init'], { env }).code).toBe(0);
    expect(runCli(['--data', dir, 'character', 'create', '--name', 'Remnant'], { env }).code).toBe(0);
    const db = readFileSync(join(dir, 'mindstage.db'));
    const header = /"wrappedByPassphrase":"([A-Za-z0-9_-]+)","wrappedByRecovery":"([A-Za-z0-9_-]+)"/.exec(db.toString('latin1'));
    expect(header, 'the header is in the file before the wipe').not.toBeNull();
    // The header is stored as JSON text; look for the keys as that text and as raw bytes.
    const texts = [header![1]!, header![2]!].map((b64) => Buffer.from(b64, 'latin1'));
    const needles = [...texts, ...[header![1]!, header![2]!].map((b64) => Buffer.from(b64, 'base64url'))];
    const keep = join(root, 'blocks-of-the-old-file');
    linkSync(join(dir, 'mindstage.db'), keep);
    // Control: the scan finds the keys where they are.
    expect(texts.every((n) => readFileSync(keep).includes(n))).toBe(true);

    const r = runCli(['--data', dir, 'wipe', '--yes', '--local-only'], { env });
    expect(r.code, r.stderr).toBe(0);
    // Through the other name: the same blocks, every byte now zero (a wipe that only unlinked, or only truncated,
    // would show the old bytes or none).
    const after = readFileSync(keep);
    expect(after.length).toBe(statSync(keep).size);
    expect(after.length).toBeGreaterThanOrEqual(db.length);
    expect(after.findIndex((b) => b !== 0)).toBe(-1);
    for (const f of filesUnder(root)) {
      const bytes = readFileSync(f);
      for (const n of needles) expect([f, bytes.includes(n)]).toEqual([f, false]);
    }
  });
});
