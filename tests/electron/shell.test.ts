/**
 * The rest of the shell that runs without Electron: the app:// page server and the remembered window state.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAppProtocolHandler } from '../../electron/main/app-protocol.main.ts';
import { cspHeader, minWindowSize } from '../../electron/main/security.main.ts';
import { defaultSize, loadWindowState, sanitizeWindowState, saveWindowState } from '../../electron/main/window-state.main.ts';
import { tempDir } from '../support/files.node.ts';

describe('app:// protocol handler', () => {
  let handle: ReturnType<typeof createAppProtocolHandler>;
  beforeAll(() => {
    const root = tempDir('app-protocol');
    const dir = join(root, 'renderer');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Mindstage</title>');
    writeFileSync(join(dir, 'assets', 'index.js'), 'export {};');
    writeFileSync(join(root, 'secret.txt'), 'outside');
    handle = createAppProtocolHandler(dir);
  });
  const get = (url: string, method = 'GET') => handle({ url, method });

  it('serves the renderer with the CSP and a content type', async () => {
    const res = await get('app://mindstage/index.html');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Mindstage</title>');
    expect(res.headers.get('content-security-policy')).toBe(cspHeader());
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await get('app://mindstage/')).status).toBe(200);
    expect((await get('app://mindstage/assets/index.js')).headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it('refuses other hosts, traversal, missing files and writes', async () => {
    expect((await get('app://evil/index.html')).status).toBe(404);
    expect((await get('app://mindstage/../secret.txt')).status).toBe(404);
    expect((await get('app://mindstage/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get('app://mindstage/assets/..%2f..%2fsecret.txt')).status).toBe(404);
    expect((await get('app://mindstage/nope.js')).status).toBe(404);
    expect((await get('app://mindstage/index.html', 'POST')).status).toBe(405);
    // Refusals carry the CSP too.
    expect((await get('app://evil/x')).headers.get('content-security-policy')).toBe(cspHeader());
  });
});

describe('window state', () => {
  const displays = [{ x: 0, y: 0, width: 1920, height: 1040 }];

  it('round-trips through its file', () => {
    const file = join(tempDir('window-state'), 'window-state.json');
    saveWindowState(file, { bounds: { x: 100, y: 50, width: 1000, height: 700 }, maximized: true });
    expect(loadWindowState(file, displays)).toEqual({ bounds: { x: 100, y: 50, width: 1000, height: 700 }, maximized: true });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ bounds: { x: 100, y: 50, width: 1000, height: 700 }, maximized: true });
  });

  it('falls back to the default for a missing or damaged file', () => {
    const dir = tempDir('window-state-bad');
    const fallback = { bounds: defaultSize, maximized: false };
    expect(loadWindowState(join(dir, 'missing.json'), displays)).toEqual(fallback);
    writeFileSync(join(dir, 'bad.json'), '{"bounds": {"width": ');
    expect(loadWindowState(join(dir, 'bad.json'), displays)).toEqual(fallback);
    for (const raw of [null, 42, 'x', [], { bounds: { width: 'wide', height: 1 } }, { bounds: { width: Infinity, height: 700 } }])
      expect(sanitizeWindowState(raw, displays), JSON.stringify(raw)).toEqual(fallback);
  });

  it('drops a position that is on no display, and clamps sizes', () => {
    expect(sanitizeWindowState({ bounds: { x: 5000, y: 5000, width: 1000, height: 700 } }, displays)).toEqual({
      bounds: { width: 1000, height: 700 },
      maximized: false,
    });
    const tiny = sanitizeWindowState({ bounds: { x: 10, y: 10, width: 10, height: 10 } }, displays);
    expect(tiny.bounds.width).toBe(minWindowSize.width);
    expect(tiny.bounds.height).toBe(minWindowSize.height);
    // Remembered on a second monitor that is still there: kept.
    const two = [...displays, { x: 1920, y: 0, width: 2560, height: 1400 }];
    expect(sanitizeWindowState({ bounds: { x: 2200, y: 100, width: 1200, height: 900 }, maximized: false }, two).bounds).toEqual({ x: 2200, y: 100, width: 1200, height: 900 });
    expect(sanitizeWindowState({ bounds: { x: 2200, y: 100, width: 1200, height: 900 } }, displays).bounds).toEqual({ width: 1200, height: 900 });
  });
});
