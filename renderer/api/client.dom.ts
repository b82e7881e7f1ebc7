/**
 * The renderer's transport, chosen once at start-up:
 *  - in the Electron window, the preload's `window.mindstage` (IPC to the main process, which forwards to the core);
 *  - in browser mode, a WebSocket to the loopback server, authenticated by the per-launch token from the page URL.
 * Both offer the same `invoke` + `on`, so no screen can tell them apart.
 *
 * The one-time token arrives in the URL fragment (`#token=…`, or `?token=…`) and is removed from the address bar
 * at once; the page trades it for a session secret kept in this tab's sessionStorage (so a reload keeps working,
 * and closing the tab or stopping Mindstage ends it). The printed address cannot be used a second time.
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

/** Where this tab keeps its session secret: sessionStorage lives and dies with the tab, survives a reload. */
const SESSION_KEY = 'mindstage.session';

/** A bridge that answers every call with the same refusal (no way to the core from this page). */
const refused = (code: 'network' | 'wrong_secret', message: string): Bridge => ({
  invoke: (() => Promise.resolve({ ok: false, error: { code, message } })) as MindstageInvoke,
  on: () => () => {},
});

const usedMessage =
  'This address has already been used. Each address Mindstage gives you opens it once, in one tab, so a copy of it is worthless to anyone else. Restart Mindstage to get a new address.';
const noAddressMessage =
  'This page was opened without its access address, or its tab was closed and reopened. Restart Mindstage to get a new address.';

/** Trades the one-time token from the address for this tab's session secret. */
async function trade(token: string): Promise<string | Bridge> {
  let res: Response;
  try {
    res = await fetch('/session', { method: 'POST', headers: { 'x-mindstage-token': token }, cache: 'no-store' });
  } catch {
    return refused('network', 'Mindstage is not running. Start it again to get a new address.');
  }
  if (res.status === 410) return refused('wrong_secret', usedMessage);
  if (!res.ok) return refused('wrong_secret', 'This address is not valid (perhaps it was copied incompletely). Restart Mindstage to get a new address.');
  const { session } = (await res.json()) as { session: string };
  sessionStorage.setItem(SESSION_KEY, session);
  return session;
}

/**
 * A bridge that connects once the session is known: calls wait for it, and event listeners registered before
 * then are attached when it arrives (the stores subscribe at start-up, before the trade answers).
 */
function lazyBridge(ready: Promise<Bridge>): Bridge {
  return {
    invoke: ((command: string, input: unknown) => ready.then((b) => (b.invoke as (c: string, i: unknown) => Promise<unknown>)(command, input))) as MindstageInvoke,
    on: ((event: ApiEventName, fn: (payload: never) => void) => {
      let off: (() => void) | undefined;
      let gone = false;
      void ready.then((b) => {
        if (gone) return;
        const r = (b.on as (e: string, f: (p: never) => void) => unknown)(event, fn);
        off = typeof r === 'function' ? (r as () => void) : undefined;
      });
      return () => {
        gone = true;
        off?.();
      };
    }) as Bridge['on'],
  };
}

function browserMode(): Bridge {
  const { token, cleaned } = takeToken(location.href);
  if (cleaned !== location.href) history.replaceState(history.state, '', cleaned);
  const connectWith = (session: string) => createWsClient(`ws://${location.host}/ws`, { token: session });
  // A fresh address wins over a session already in this tab: it is what the user just opened.
  if (token) return lazyBridge(trade(token).then((r) => (typeof r === 'string' ? connectWith(r) : r)));
  const kept = sessionStorage.getItem(SESSION_KEY);
  if (kept) return connectWith(kept);
  return refused('wrong_secret', noAddressMessage);
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
