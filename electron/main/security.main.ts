/**
 * Every security-relevant setting of the desktop shell, as plain data and pure functions, so unit tests can
 * assert them without running Electron (tests/electron/security.test.ts) and main.main.ts only wires them up.
 * Type-only Electron imports: this file loads in plain Node.
 *
 * The model: the renderer is untrusted (it renders text from strangers and models). It runs sandboxed, without
 * Node, isolated from the preload, with a strict CSP, from our own `app://mindstage` origin; it may not navigate,
 * open windows, embed webviews, ask for permissions or load anything remote. Its one capability is the typed API.
 */
import type { BrowserWindowConstructorOptions, CustomScheme, HandlerDetails, WindowOpenHandlerResponse } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'mindstage';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;
/**
 * The window's session lives in memory only (no "persist:" prefix): Chromium writes no cache, local storage or
 * IndexedDB for our pages to disk, so nothing the renderer holds can end up in a file.
 */
export const APP_PARTITION = 'mindstage';

/**
 * `standard` gives the scheme real origins (relative URLs, same-origin checks, ES modules); `secure` makes it a
 * secure context like https. Nothing else: no CSP bypass, no service workers, no fetch/CORS from other origins.
 */
export const privilegedSchemes: CustomScheme[] = [{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }];

export const minWindowSize = { width: 720, height: 520 };

export interface WindowBounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
}

export function webPreferences(preloadPath: string, options: { devTools: boolean }): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload: preloadPath,
    partition: APP_PARTITION,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    // Middle-click (auxclick) on a link would otherwise open it as a new window request.
    disableBlinkFeatures: 'Auxclick',
    // Dictionaries would be downloaded from a Google CDN: a network request the user did not ask for.
    spellcheck: false,
    safeDialogs: true,
    // Off in packaged builds: DevTools would let anyone at the unlocked machine script the API.
    devTools: options.devTools,
  };
}

export function windowOptions(preloadPath: string, bounds: WindowBounds, options: { devTools: boolean }): BrowserWindowConstructorOptions {
  return {
    ...bounds,
    minWidth: minWindowSize.width,
    minHeight: minWindowSize.height,
    title: 'Mindstage',
    // Shown once the first paint is ready, so the user never sees a white flash.
    show: false,
    backgroundColor: '#1b1b1f',
    webPreferences: webPreferences(preloadPath, options),
  };
}

/** Same policy as browser mode's, minus the WebSocket: in the window the API travels over IPC, so no connections. */
export function cspHeader(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers on every app:// response. */
export function responseHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-security-policy': cspHeader(),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

/** Whether a URL is a page or resource of our own app origin. */
export function isAppUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '';
  } catch {
    return false;
  }
}

/**
 * Links may leave for the system browser only as plain http(s) to a named host: no file:, smb:, javascript: or
 * custom handlers (which can launch programs), no credentials, nothing absurdly long.
 */
export function isAllowedExternalUrl(url: string): boolean {
  if (typeof url !== 'string' || url.length > 2048) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return false;
  if (!u.hostname || u.username || u.password) return false;
  return true;
}

/** window.open and target=_blank: never a new Electron window; a checked http(s) link goes to the system browser. */
export function windowOpenHandler(openExternal: (url: string) => void): (details: Pick<HandlerDetails, 'url'>) => WindowOpenHandlerResponse {
  return ({ url }) => {
    if (isAllowedExternalUrl(url)) openExternal(url);
    return { action: 'deny' };
  };
}

/** The single-page app never navigates: any navigation (top frame or sub-frame, link, redirect) is stopped. */
export const navigationAllowed = (_url: string): boolean => false;

/** Permissions (camera, microphone, notifications, geolocation, clipboard-read, …): all refused. */
export const permissionRequestHandler = (_wc: unknown, _permission: string, callback: (granted: boolean) => void): void => callback(false);
export const permissionCheckHandler = (): boolean => false;
export const devicePermissionHandler = (): boolean => false;

/** What the window's session may load: our origin, and in-page data:/blob: images. Everything else is cancelled. */
export function requestAllowed(url: string): boolean {
  if (isAppUrl(url)) return true;
  return url.startsWith('data:') || url.startsWith('blob:app://mindstage/') || url.startsWith('devtools:');
}

interface PreventableEvent {
  preventDefault(): void;
}
/** The part of WebContents that hardenWebContents touches (so tests can hand in a stand-in for Electron's object). */
export interface HardenableContents {
  on(event: 'will-navigate' | 'will-redirect' | 'will-frame-navigate', listener: (event: PreventableEvent & { url?: string }, url?: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void;
}

/** Applied to every WebContents the app creates (app 'web-contents-created'). */
export function hardenWebContents(contents: HardenableContents, openExternal: (url: string) => void): void {
  const stop = (event: PreventableEvent & { url?: string }, url?: string) => {
    if (!navigationAllowed(url ?? event.url ?? '')) event.preventDefault();
  };
  contents.on('will-navigate', stop);
  contents.on('will-redirect', stop);
  contents.on('will-frame-navigate', stop);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(windowOpenHandler(openExternal));
}

/** The part of Session that applySessionPolicy touches. */
export interface PolicySession {
  setPermissionRequestHandler(handler: typeof permissionRequestHandler): void;
  setPermissionCheckHandler(handler: typeof permissionCheckHandler): void;
  setDevicePermissionHandler(handler: typeof devicePermissionHandler): void;
  webRequest: {
    onBeforeRequest(filter: { urls: string[] }, listener: (details: { url: string }, callback: (response: { cancel: boolean }) => void) => void): void;
  };
}

export function applySessionPolicy(session: PolicySession): void {
  session.setPermissionRequestHandler(permissionRequestHandler);
  session.setPermissionCheckHandler(permissionCheckHandler);
  session.setDevicePermissionHandler(devicePermissionHandler);
  session.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, (details, callback) => callback({ cancel: !requestAllowed(details.url) }));
}
