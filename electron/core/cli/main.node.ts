#!/usr/bin/env node
/** Entry point of `bin/mindstage` and `npm run mindstage`. */
import { runCli } from './program.node.ts';

process.exitCode = await runCli(process.argv.slice(2));
