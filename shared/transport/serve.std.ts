/**
 * The core's side of the wire protocol, for any channel that carries text: one `serveCore` per connection (a
 * browser tab's WebSocket, or the main process's port to the utility process). Requests are decoded strictly and
 * validated against the command schemas before the core sees them; every core event is forwarded.
 */
import type { ApiEventName, ApiEvents, MindstageInvoke } from '../api/index.std.ts';
import { toErrorShape, type ApiErrorShape, type Result } from '../result.std.ts';
import { apiEventNames, decodeRequest, encodeEvent, encodeResponse, MAX_FRAME_BYTES } from './protocol.std.ts';
import { validateCommand } from './validate.std.ts';

/** What a transport needs from the core (electron/core's `Core` has this shape). */
export interface CoreLike {
  invoke: MindstageInvoke;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

export interface Served {
  /** Feed one frame received from the client. Answers go out through `send`. */
  receive(frame: string | Uint8Array): Promise<void>;
  /** Stop forwarding events and drop answers still in flight (the client is gone). */
  close(): void;
}

export function serveCore(core: CoreLike, send: (text: string) => void, options: { maxBytes?: number } = {}): Served {
  let open = true;
  const deliver = (text: string) => {
    if (!open) return;
    try {
      send(text);
    } catch {
      // The channel closed between the check and the write; the client will see the disconnect.
    }
  };
  const offs = apiEventNames.map((event) => core.on(event, (payload) => deliver(encodeEvent({ event, payload }))));
  const answer = (id: number | null, result: Result<unknown, ApiErrorShape>) => deliver(encodeResponse({ id, result }));

  return {
    async receive(frame) {
      if (!open) return;
      const request = decodeRequest(frame, options.maxBytes ?? MAX_FRAME_BYTES);
      if (!request.ok) return answer(request.id, { ok: false, error: request.error });
      const { id, command, input } = request.value;
      const checked = validateCommand(command, input);
      if (!checked.ok) return answer(id, { ok: false, error: checked.error });
      let result: Result<unknown, ApiErrorShape>;
      try {
        // The raw input goes on: the core parses it again with the same schema (its own boundary).
        result = await core.invoke(checked.command, input as never);
      } catch (e) {
        result = { ok: false, error: toErrorShape(e) };
      }
      answer(id, result);
    },
    close() {
      open = false;
      for (const off of offs) off();
    },
  };
}
