/** Test helper: the MindstageError a call refuses with (anything else thrown, or no error at all, fails the test). */
import { MindstageError } from '../../shared/result.std.ts';

export function refusal(run: () => unknown): MindstageError {
  try {
    run();
  } catch (e) {
    if (e instanceof MindstageError) return e;
    throw e;
  }
  throw new Error('expected a refusal (MindstageError), but the call succeeded');
}
