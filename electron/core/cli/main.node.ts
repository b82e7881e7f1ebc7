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

const code = await runCli(process.argv.slice(2));
// The command is done (long-running ones such as `web` and `relay` return only once stopped). End as soon as what it
// wrote has reached stdout and stderr, rather than run what the closed core left queued for a process that lives on:
// the lock scrub's full garbage collections (memory.node.ts) cost ~50 ms of CPU, and the memory they would clear is
// handed back to the kernel at exit. The keys were zeroed when the core closed, as before.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))));
process.exit(code);
