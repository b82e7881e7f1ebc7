import { readFileSync, statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { MindstageError } from '../../../../shared/result.std.ts';
import type { CliContext } from '../context.node.ts';

const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

export function registerDataCommands(program: Command, ctx: CliContext): void {
  program
    .command('search')
    .argument('<text>')
    .description('search every record and message')
    .option('--limit <n>', 'most hits', (v) => Number.parseInt(v, 10), 100)
    .action((text: string, o: { limit: number }) =>
      ctx.withCore(async (call) => {
        const hits = await call('search.query', { text, limit: o.limit });
        ctx.out().result(
          hits,
          hits.length === 0 ? 'No matches.' : hits.map((h) => `${h.kind} ${h.recordId}${h.messageId ? ` message ${h.messageId}` : ''} — ${h.title}: ${h.excerpt}`),
        );
      }),
    );

  program
    .command('export')
    .requiredOption('--out <file>', 'where to write the export (decrypted JSON)')
    .description('write everything, decrypted, to a JSON file (docs/export-format.md)')
    .action((o: { out: string }) =>
      ctx.withCore(async (call) => {
        const { json } = await call('data.export', {});
        // 0600: the export is plaintext the user asked for; keep it theirs alone.
        writeFileSync(o.out, json, { mode: 0o600 });
        ctx.out().result({ out: o.out, bytes: Buffer.byteLength(json) }, `Exported to ${o.out}. It is NOT encrypted: keep it safe or delete it.`);
      }),
    );

  program
    .command('import')
    .argument('<file>')
    .description('import a Mindstage export file')
    .action((file: string) =>
      ctx.withCore(async (call) => {
        let json: string;
        try {
          if (statSync(file).size > MAX_IMPORT_BYTES) throw new MindstageError('usage', `${file} is too large to be an export.`);
          json = readFileSync(file, 'utf8');
        } catch (e) {
          if (e instanceof MindstageError) throw e;
          throw new MindstageError('not_found', `Cannot read ${file}.`);
        }
        const { imported } = await call('data.import', { json });
        ctx.out().result({ imported }, `Imported ${imported} record${imported === 1 ? '' : 's'}.`);
      }),
    );
}
