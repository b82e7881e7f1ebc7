/**
 * The one IPC channel between the window and the core. The main process checks who is asking (the top frame of
 * our own app:// page, nothing else) and what (a known command whose input passes its schema) before anything
 * is forwarded to the core's utility process. Type-only Electron imports: unit-tested in plain Node.
 */
import type { ApiEventName, MindstageInvoke } from '../../shared/api/index.std.ts';
import type { ApiErrorShape, Result } from '../../shared/result.std.ts';
import { validateCommand } from '../../shared/transport/validate.std.ts';
import { isAppUrl } from './security.main.ts';

/** Renderer → main: `ipcRenderer.invoke(INVOKE_CHANNEL, command, input)` resolves to a Result. */
export const INVOKE_CHANNEL = 'mindstage:invoke';
/** Main → renderer: `(event name, payload)` for every core event. */
export const EVENT_CHANNEL = 'mindstage:event';

/** The parts of Electron's WebFrameMain a sender check needs. */
export interface SenderFrame {
  url: string;
  parent: unknown;
}

/**
 * Only the top-level frame of our own page may call the core. A sub-frame (there should be none: CSP forbids
 * them) or any page that is not app://mindstage is refused, whatever it sends.
 */
export function validateSender(frame: SenderFrame | null | undefined): boolean {
  if (!frame) return false;
  if (frame.parent !== null) return false;
  return isAppUrl(frame.url);
}

export const refusedSender: ApiErrorShape = { code: 'usage', message: 'This page may not use the Mindstage API.' };

export type InvokeHandler = (event: { senderFrame: SenderFrame | null }, command: unknown, input: unknown) => Promise<Result<unknown, ApiErrorShape>>;

/** The handler for ipcMain.handle(INVOKE_CHANNEL, …). Never throws: bad calls get a `usage` Result. */
export function createInvokeHandler(core: { invoke: MindstageInvoke }, log: (line: string) => void = () => {}): InvokeHandler {
  return async (event, command, input) => {
    if (!validateSender(event.senderFrame)) {
      // The URL is ours to log (it is a page address, not content); the arguments are not.
      log(`refused an API call from a frame that is not the app (${event.senderFrame ? 'wrong origin or sub-frame' : 'no frame'})`);
      return { ok: false, error: refusedSender };
    }
    const checked = validateCommand(command, input);
    if (!checked.ok) return { ok: false, error: checked.error };
    return core.invoke(checked.command, input as never);
  };
}

/** Forwards core events to a window, as long as it still shows our page. */
export function forwardEvents(
  core: { on(event: ApiEventName, listener: (payload: unknown) => void): () => void },
  target: { isDestroyed(): boolean; getURL(): string; send(channel: string, ...args: unknown[]): void },
  events: readonly ApiEventName[],
): () => void {
  const offs = events.map((name) =>
    core.on(name, (payload) => {
      if (!target.isDestroyed() && isAppUrl(target.getURL())) target.send(EVENT_CHANNEL, name, payload);
    }),
  );
  return () => offs.forEach((off) => off());
}
