import { statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { MindstageError } from '../../../../shared/result.std.ts';
import type { ImportReport } from '../../../../shared/api/transfer.std.ts';
import { readImportPath } from '../../sillytavern/read-path.node.ts';
import type { CliContext } from '../context.node.ts';


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
    .argument('<path>')
    .description('import a Mindstage export, a SillyTavern chat (.jsonl), World Info or preset (.json), or a SillyTavern user folder')
    .option('--character <id>', 'attach a lone chat to this character (default: matched by name, or created)')
    .action((path: string, o: { character?: string }) =>
      ctx.withCore(async (call, core) => {
        const { files, skipped } = readImportPath(path);
        if (files.length === 0 && skipped.length === 0) throw new MindstageError('usage', `${path} holds nothing Mindstage can import.`);
        const out = ctx.out();
        const showProgress = !out.json && process.stderr.isTTY;
        const off = showProgress ? core.on('import.progress', ({ done, total }) => process.stderr.write(`\rImporting… ${done}/${total}`)) : () => {};
        const stopProgress = () => {
          off();
          if (showProgress) process.stderr.write('\n');
        };
        const report = files.length === 0 ? { imported: { conversations: 0, characters: 0, lorebooks: 0, presets: 0, personas: 0 }, skipped: [] } : await call('import.files', { files, ...(o.character ? { characterId: o.character } : {}) });
        stopProgress();
        report.skipped.unshift(...skipped);
        // A single file that could not be imported is bad input, as before; a folder reports what it left out.
        const lone = statSync(path).isFile() ? report.skipped[0] : undefined;
        if (lone && lone.reason !== 'already imported.') throw new MindstageError('usage', `${path}: ${lone.reason}`);
        out.result(report, describeReport(report));
      }),
    );
}

function describeReport(r: ImportReport): string[] {
  const i = r.imported;
  const lines = [`Imported ${i.conversations} conversation(s), ${i.characters} character(s), ${i.lorebooks} lorebook(s), ${i.presets} preset(s), ${i.personas} persona(s).`];
  for (const s of r.skipped) lines.push(`Skipped ${s.path}: ${s.reason}`);
  for (const n of r.notes ?? []) lines.push(`Note on ${n.path}: ${n.note}`);
  return lines;
}
