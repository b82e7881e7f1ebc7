/**
 * The renderer's transport, chosen once at start-up:
 *  - in the Electron window, the preload's `window.mindstage` (IPC to the main process, which forwards to the core);
 *  - in browser mode, a WebSocket to the loopback server, authenticated by the per-launch token from the page URL.
 * Both offer the same `invoke` + `on`, so no screen can tell them apart.
 *
 * The token arrives in the URL fragment (`#token=…`, or `?token=…`) and is removed from the address bar at once:
 * from then on it lives only in this module's memory, not in history, bookmarks or session restore.
 */
import type { ApiEventName, ApiEvents, CommandName, Commands, MindstageInvoke } from '../../shared/api/index.std.ts';
import type { InputOf, OutputOf } from '../../shared/api/contract.std.ts';
import type { ApiErrorShape, Result } from '../../shared/result.std.ts';
import { createWsClient, type TransportClient } from '../../shared/transport/client.std.ts';
import { ApiError } from '../lib/api.dom.ts';

export { ApiError };

export interface Api {
  invoke: MindstageInvoke;
  on<E extends ApiEventName>(event: E, fn: (payload: ApiEvents[E]) => void): () => void;
  /** `invoke` that resolves with the value or throws an ApiError carrying the core's { code, message }. */
  call<K extends CommandName>(command: K, input: InputOf<Commands[K]>): Promise<OutputOf<Commands[K]>>;
}

type Bridge = Pick<TransportClient, 'invoke' | 'on'>;

/** Takes the token out of a page URL; returns it and the URL without it (for history.replaceState). */
export function takeToken(href: string): { token: string | null; cleaned: string } {
  const url = new URL(href);
  const fromHash = new URLSearchParams(url.hash.slice(1)).get('token');
  const fromQuery = url.searchParams.get('token');
  const hash = new URLSearchParams(url.hash.slice(1));
  hash.delete('token');
  url.searchParams.delete('token');
  url.hash = hash.toString();
  return { token: fromHash || fromQuery || null, cleaned: url.toString() };
}

const noToken: Bridge = {
  invoke: (() =>
    Promise.resolve({
      ok: false,
      error: {
        code: 'network',
        message: 'This page has no access token. Open the address printed by "mindstage web" or "npm start" (it ends in #token=…).',
      },
    })) as MindstageInvoke,
  on: () => () => {},
};

function browserMode(): Bridge {
  const { token, cleaned } = takeToken(location.href);
  if (cleaned !== location.href) history.replaceState(history.state, '', cleaned);
  if (!token) return noToken;
  return createWsClient(`ws://${location.host}/ws`, { token });
}

export function createApi(bridge: Bridge): Api {
  return {
    invoke: bridge.invoke,
    on: (event, fn) => {
      const off = bridge.on(event, fn);
      return typeof off === 'function' ? off : () => {};
    },
    async call(command, input) {
      let result: Result<unknown, ApiErrorShape>;
      try {
        result = await bridge.invoke(command, input);
      } catch {
        throw new ApiError({ code: 'network', message: 'Mindstage lost contact with its core. Reload the window to reconnect.' });
      }
      if (!result.ok) throw new ApiError(result.error);
      return result.value as never;
    },
  };
}

const injected = (window as { mindstage?: Bridge }).mindstage;

export const api: Api = createApi(injected ?? browserMode());
