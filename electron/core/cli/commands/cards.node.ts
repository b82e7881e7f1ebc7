/** `character import FILE` and `character export ID --format png|json|charx --out FILE`. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { MindstageError } from '../../../../shared/result.std.ts';
import type { CliContext } from '../context.node.ts';

async function readCardFile(file: string): Promise<Buffer> {
  // The card code loads with the command that needs it, not with every CLI start.
  const { maxCardBytes } = await import('../../cards/index.node.ts');
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new MindstageError('not_found', `Cannot read ${file}.`);
  }
  if (size > maxCardBytes) throw new MindstageError('usage', `${file} is larger than 50 MB, too large for a character card.`);
  return readFileSync(file);
}

export function registerCardCommands(program: Command, ctx: CliContext): void {
  const character = program.commands.find((c) => c.name() === 'character')!;

  character
    .command('import')
    .argument('<file>', 'a character card: PNG, JSON or CHARX (V1, V2 or V3)')
    .description('import a character card; prints the new id')
    .action((file: string) =>
      ctx.withCore(async (call) => {
        const bytes = await readCardFile(file);
        const r = await call('cards.import', { fileName: basename(file), bytesBase64: bytes.toString('base64') });
        ctx.out().result(r, r.id);
      }),
    );

  character
    .command('export')
    .argument('<id>')
    .addOption(new Option('--format <format>', 'card format').choices(['png', 'json', 'charx']).makeOptionMandatory())
    .requiredOption('--out <file>', 'where to write the card')
    .description('export a character as a card file')
    .action((id: string, o: { format: 'png' | 'json' | 'charx'; out: string }) =>
      ctx.withCore(async (call) => {
        const r = await call('cards.export', { id, format: o.format });
        const bytes = Buffer.from(r.bytesBase64, 'base64');
        writeFileSync(o.out, bytes, { mode: 0o600 });
        ctx.out().result({ out: o.out, bytes: bytes.length, format: o.format }, `Wrote ${o.out} (${o.format}, ${bytes.length} bytes).`);
      }),
    );
}
