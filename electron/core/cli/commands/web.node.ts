/** `mindstage web [--port P]`: browser mode — the desktop UI served on 127.0.0.1 behind a per-launch token. */
import type { Command } from 'commander';
import { parsePort } from '../../web/port.node.ts';
import type { CliContext } from '../context.node.ts';

export function registerWebCommands(program: Command, ctx: CliContext): void {
  program
    .command('web')
    .description('open the app in your browser: serves the UI on 127.0.0.1 with a one-time token (Ctrl-C stops and locks)')
    .option('--port <port>', 'port to listen on (default: a free one)')
    .action(async (o: { port?: string }) => {
      const { runWeb } = await import('../../web/run.node.ts');
      // runWeb prints the URL and handles Ctrl-C; the CLI only waits until it has closed the vault.
      const web = await runWeb({ port: parsePort(o.port), dataDir: ctx.dataDir(), rendererDir: process.env['MINDSTAGE_RENDERER_DIR'] || undefined });
      await web.closed;
    });
}
