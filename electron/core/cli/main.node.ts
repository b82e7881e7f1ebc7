#!/usr/bin/env node
/** Entry point of `bin/mindstage` and `npm run mindstage`. */
import { runCli } from './program.node.ts';

// A reader that closes the pipe (`mindstage character list | head -1`) has all it wants: end quietly, like other
// command-line tools, instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

process.exitCode = await runCli(process.argv.slice(2));
