/** How the CLI speaks: human text or --json on stdout, one clear line on stderr for errors, fixed exit codes. */
import type { ApiErrorShape, ErrorCode } from '../../../shared/result.std.ts';

export const exitCodes: Record<ErrorCode, number> = {
  usage: 2,
  wrong_secret: 3,
  device_removed: 3,
  integrity: 4,
  network: 5,
  provider: 5,
  not_found: 6,
  locked: 1,
  exists: 1,
  busy: 1,
  unsupported: 1,
  aborted: 1,
  internal: 1,
};

export interface Output {
  json: boolean;
  /** Prints a result: `human` text (or lines) unless --json, where `value` is printed as JSON. */
  result(value: unknown, human?: string | string[]): void;
  error(e: ApiErrorShape): number;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      if (json) process.stdout.write(`${JSON.stringify(value)}\n`);
      else if (human !== undefined) process.stdout.write(`${Array.isArray(human) ? human.join('\n') : human}\n`);
    },
    error(e) {
      if (json) process.stderr.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
      else process.stderr.write(`mindstage: ${e.message}\n`);
      return exitCodes[e.code];
    },
  };
}
