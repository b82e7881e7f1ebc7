/** Test helpers: temporary folders and scanning every file under a folder for secrets in the encodings they could take. */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `ms-${prefix}-`));

export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...listFiles(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** The forms a string can take on disk: UTF-8, UTF-16 (both orders) and base64 at all three alignments. */
export function encodedForms(secret: string): Buffer[] {
  const utf8 = Buffer.from(secret, 'utf8');
  const forms = [utf8, Buffer.from(secret, 'utf16le'), Buffer.from(secret, 'utf16le').swap16()];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift, 0x41), utf8]).toString('base64');
    // Drop the characters touched by the prefix and the last, padding-dependent group.
    const start = Math.ceil((shift * 4) / 3) + (shift ? 1 : 0);
    forms.push(Buffer.from(b64.slice(start, Math.max(start + 8, b64.length - 4)), 'ascii'));
  }
  return forms;
}

/** Every (file, secret) pair where the file holds the secret in any encoded form. */
export function findSecrets(dir: string, secrets: string[]): { file: string; secret: string }[] {
  const hits: { file: string; secret: string }[] = [];
  const forms = secrets.map((s) => ({ s, forms: encodedForms(s) }));
  for (const file of listFiles(dir)) {
    const content = readFileSync(file);
    for (const { s, forms: fs } of forms) if (fs.some((f) => content.includes(f))) hits.push({ file, secret: s });
  }
  return hits;
}
