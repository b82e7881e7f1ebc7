/**
 * openCore: the backend behind every transport. Validates each command's input with its schema, runs the handler,
 * and answers with a Result — expected failures as { code, message }, anything unexpected as "internal" (logged
 * without content).
 */
import { EventEmitter } from 'node:events';
import { config as zodConfig } from 'zod';
import { commands, type ApiEventName, type ApiEvents, type CommandName, type MindstageInvoke } from '../../shared/api/index.std.ts';
import { MindstageError, toErrorShape, type Result } from '../../shared/result.std.ts';
import type { Core, CoreOptions } from './api/core-types.node.ts';
import { createHandlers } from './api/handlers.node.ts';
import { CoreState } from './api/state.node.ts';
import { translateSqliteError, dbPath } from './store/db.node.ts';
import { readPreferences } from './docs/settings-doc.node.ts';

export type { Core, CoreOptions };

// Zod compiles a fast path for each schema the first time it parses one (code generated with new Function): 2–16 ms
// on this machine, paid by the first call of each command — the first message after unlock, the first edit. Our
// inputs are small, so parsing them without it costs the same few µs (docs/decisions.md #22).
zodConfig({ jitless: true });

function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export async function openCore(options: CoreOptions): Promise<Core> {
  const events = new EventEmitter();
  const state = new CoreState(options.dataDir, (event, payload) => events.emit(event, payload), options.kekAhead, options.exitsAfterClose === true);
  const handlers = createHandlers(state) as unknown as Record<string, (input: unknown) => Promise<unknown>>;
  let closed = false;
  let lastActivity = Date.now();

  // Idle lock lives in the core so every transport (window, browser tab, CLI session) gets it. Reading the
  // preference needs the session, so the check runs only while unlocked.
  const idleTimer = setInterval(() => {
    const s = state.session;
    if (!s) return;
    const minutes = readPreferences(s.systemDoc('settings').doc).idleLockMinutes;
    if (minutes > 0 && Date.now() - lastActivity > minutes * 60_000) state.lock('idle');
  }, options.idleCheckMs ?? 15_000);
  idleTimer.unref();

  const invoke = (async (command: CommandName, input: unknown): Promise<Result<unknown>> => {
    lastActivity = Date.now();
    try {
      if (closed) throw new MindstageError('internal', 'Mindstage is shutting down.');
      const def = Object.hasOwn(commands, command) ? commands[command] : undefined;
      if (!def) throw new MindstageError('usage', `Unknown command "${String(command)}".`);
      const parsed = def.input.safeParse(input ?? {});
      if (!parsed.success) throw new MindstageError('usage', `Invalid input for ${command}: ${describeIssues(parsed.error)}.`);
      return { ok: true, value: await handlers[command]!(parsed.data) };
    } catch (e) {
      const translated = translateSqliteError(e, dbPath(options.dataDir));
      if (!(translated instanceof MindstageError)) {
        // Unexpected: a bug. Log the kind of error and where, never its message (it could hold content).
        console.error(`[mindstage] internal error in ${String(command)}: ${(translated as Error)?.name ?? typeof translated}`);
        if (process.env['MINDSTAGE_DEBUG']) console.error(translated);
      }
      return { ok: false, error: toErrorShape(translated) };
    }
  }) as MindstageInvoke;

  return {
    invoke,
    on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void) {
      events.on(event, listener);
      return () => events.off(event, listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(idleTimer);
      state.close();
    },
  };
}
