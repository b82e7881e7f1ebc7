/**
 * Reading passphrases: from the environment (scripts), else a hidden prompt on a terminal, else one line of
 * standard input per secret (pipes). Secrets are never echoed, logged or put in argv.
 */
import { createInterface } from 'node:readline';
import { MindstageError } from '../../../shared/result.std.ts';

let stdinLines: AsyncIterator<string> | null = null;

async function nextStdinLine(what: string): Promise<string> {
  stdinLines ??= createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]();
  const next = await stdinLines.next();
  if (next.done) throw new MindstageError('usage', `No ${what} given: set MINDSTAGE_PASSPHRASE or pipe it on standard input.`);
  return next.value;
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    // Mute everything readline would echo after the question.
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    process.stderr.write(question);
    out._writeToOutput = () => {};
    rl.question('', (answer) => {
      process.stderr.write('\n');
      rl.close();
      resolve(answer);
    });
    rl.on('SIGINT', () => {
      rl.close();
      reject(new MindstageError('aborted', 'Cancelled.'));
    });
  });
}

export async function readSecret(envName: string, question: string, what: string): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (process.stdin.isTTY) return promptHidden(question);
  return nextStdinLine(what);
}

/** A new passphrase: asked twice on a terminal, so a typo does not lock the user out. */
export async function readNewSecret(envName: string, question: string, what: string): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) return nextStdinLine(what);
  const first = await promptHidden(question);
  const again = await promptHidden('Type it again: ');
  if (first !== again) throw new MindstageError('usage', 'The two passphrases differ; nothing was changed.');
  return first;
}
