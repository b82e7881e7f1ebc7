/**
 * The Electron shell's security configuration, asserted on the very objects and functions main.main.ts uses
 * (electron/main/security.main.ts), without running Electron.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY,
  APP_ORIGIN,
  APP_PARTITION,
  applySessionPolicy,
  cspHeader,
  hardenWebContents,
  isAllowedExternalUrl,
  isAppUrl,
  privilegedSchemes,
  requestAllowed,
  responseHeaders,
  windowOptions,
  type HardenableContents,
  type PolicySession,
} from '../../electron/main/security.main.ts';

describe('windowOptions', () => {
  const options = windowOptions('/app/preload.cjs', { width: 1000, height: 700 }, { devTools: false });
  const prefs = options.webPreferences!;

  it('isolates, sandboxes and strips Node from the renderer', () => {
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
  });

  it('keeps web security on and every risky feature off', () => {
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.experimentalFeatures).toBe(false);
    expect(prefs.navigateOnDragDrop).toBe(false);
    expect(prefs.spellcheck).toBe(false);
    expect(prefs.disableBlinkFeatures).toBe('Auxclick');
    expect(prefs).not.toHaveProperty('enableBlinkFeatures');
    expect(prefs).not.toHaveProperty('additionalArguments');
  });

  it('uses our preload, an in-memory session and no DevTools when packaged', () => {
    expect(prefs.preload).toBe('/app/preload.cjs');
    expect(prefs.partition).toBe(APP_PARTITION);
    expect(APP_PARTITION.startsWith('persist:')).toBe(false);
    expect(prefs.devTools).toBe(false);
    expect(windowOptions('/p', { width: 1, height: 1 }, { devTools: true }).webPreferences!.devTools).toBe(true);
  });

  it('opens hidden at the remembered bounds, with a minimum size', () => {
    expect(options.show).toBe(false);
    expect(options.width).toBe(1000);
    expect(options.height).toBe(700);
    expect(options.minWidth).toBeGreaterThanOrEqual(640);
  });
});

describe('the app:// scheme', () => {
  it('is registered standard and secure, and nothing more', () => {
    expect(privilegedSchemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true } }]);
    expect(APP_ENTRY).toBe('app://mindstage/index.html');
  });

  it('recognises only our exact origin', () => {
    expect(isAppUrl(`${APP_ORIGIN}/`)).toBe(true);
    expect(isAppUrl(`${APP_ORIGIN}/assets/a.js?x=1#y`)).toBe(true);
    for (const url of ['app://mindstage.evil/', 'app://evil/', 'app://mindstage@evil/', 'app://u:p@mindstage/', 'app://mindstage:8080/', 'https://mindstage/', 'file:///index.html', 'http://127.0.0.1/', '', 'not a url'])
      expect(isAppUrl(url), url).toBe(false);
  });
});

describe('cspHeader', () => {
  const csp = cspHeader();
  const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));

  it('allows only the app itself, no inline or eval script, no connections, no frames', () => {
    expect(directives['default-src']).toBe("'self'");
    expect(directives['script-src']).toBe("'self'");
    expect(directives['style-src']).toBe("'self'");
    expect(directives['img-src']).toBe("'self' data: blob:");
    expect(directives['connect-src']).toBe("'none'");
    expect(directives['object-src']).toBe("'none'");
    expect(directives['frame-ancestors']).toBe("'none'");
    expect(directives['frame-src']).toBe("'none'");
    expect(directives['base-uri']).toBe("'none'");
    expect(csp).not.toMatch(/unsafe-|\*|https?:/);
  });

  it('is sent with every app:// response, with nosniff', () => {
    const headers = responseHeaders('text/html');
    expect(headers['content-security-policy']).toBe(csp);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-type']).toBe('text/html');
  });
});

describe('isAllowedExternalUrl', () => {
  it('lets plain http(s) links to a named host through', () => {
    expect(isAllowedExternalUrl('https://example.com/page?q=1')).toBe(true);
    expect(isAllowedExternalUrl('http://example.org')).toBe(true);
  });

  it.each([
    'file:///etc/passwd',
    'smb://host/share',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'app://mindstage/index.html',
    'ms-settings:privacy',
    'mailto:a@b.c',
    'https://user:pass@example.com/',
    'https://',
    'not a url',
    `https://example.com/${'a'.repeat(3000)}`,
  ])('refuses %s', (url) => expect(isAllowedExternalUrl(url)).toBe(false));
});

/** Electron's WebContents, as far as hardenWebContents touches it: records handlers so the test can fire them. */
class Contents extends EventEmitter {
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
    this.openHandler = h;
  }
}
const preventable = (url?: string) => {
  const e = { url, prevented: false, preventDefault() { this.prevented = true; } };
  return e;
};

describe('hardenWebContents', () => {
  const opened: string[] = [];
  const contents = new Contents();
  hardenWebContents(contents as unknown as HardenableContents, (url) => opened.push(url));

  it('denies every window.open; a checked http(s) link goes to the system browser', () => {
    expect(contents.openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(contents.openHandler!({ url: 'app://mindstage/index.html' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://example.com/']);
  });

  it.each(['will-navigate', 'will-redirect', 'will-frame-navigate'])('stops %s, even to our own origin', (name) => {
    for (const url of ['https://evil.example/', 'app://mindstage/index.html', 'file:///']) {
      const event = preventable(url);
      contents.emit(name, event, url);
      expect(event.prevented, `${name} ${url}`).toBe(true);
    }
  });

  it('refuses to attach webviews', () => {
    const event = preventable();
    contents.emit('will-attach-webview', event, {}, {});
    expect(event.prevented).toBe(true);
  });
});

describe('applySessionPolicy', () => {
  const handlers: Record<string, (...args: never[]) => unknown> = {};
  const session: PolicySession = {
    setPermissionRequestHandler: (h) => void (handlers['request'] = h as never),
    setPermissionCheckHandler: (h) => void (handlers['check'] = h as never),
    setDevicePermissionHandler: (h) => void (handlers['device'] = h as never),
    webRequest: { onBeforeRequest: (filter, h) => void ((handlers['filter'] = (() => filter) as never), (handlers['web'] = h as never)) },
  };
  applySessionPolicy(session);

  it('denies every permission request and check', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen']) {
      let granted: boolean | undefined;
      (handlers['request'] as (wc: unknown, p: string, cb: (g: boolean) => void) => void)(null, permission, (g) => (granted = g));
      expect(granted, permission).toBe(false);
      expect((handlers['check'] as (...a: unknown[]) => boolean)(null, permission, 'app://mindstage', {})).toBe(false);
    }
    expect((handlers['device'] as () => boolean)()).toBe(false);
  });

  it('cancels every request that is not to our origin or an in-page image', () => {
    expect((handlers['filter'] as () => { urls: string[] })()).toEqual({ urls: ['<all_urls>'] });
    const decide = (url: string) => {
      let cancel: boolean | undefined;
      (handlers['web'] as (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void)({ url }, (r) => (cancel = r.cancel));
      return cancel;
    };
    for (const url of ['https://tracker.example/pixel.png', 'http://127.0.0.1:8080/', 'ws://127.0.0.1/', 'file:///etc/passwd', 'app://other/x', 'blob:https://evil/1'])
      expect(decide(url), url).toBe(true);
    for (const url of ['app://mindstage/assets/index.js', 'data:image/png;base64,AAAA', 'blob:app://mindstage/0d7c']) expect(decide(url), url).toBe(false);
    expect(requestAllowed('app://mindstage/')).toBe(true);
  });
});
