/**
 * app://mindstage/… serves the built renderer to the window (instead of file://, which would give the page a
 * null origin and reach into the whole file system). Registered with session.protocol.handle in main.main.ts;
 * the handler itself is a pure function of the request, tested without Electron.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { contentTypes, staticFile } from '../core/web/static.node.ts';
import { isAppUrl, responseHeaders } from './security.main.ts';

export function createAppProtocolHandler(rendererDir: string): (request: { url: string; method: string }) => Promise<Response> {
  const plain = (status: number, text: string) => new Response(text, { status, headers: responseHeaders('text/plain; charset=utf-8') });
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'method not allowed');
    if (!isAppUrl(request.url)) return plain(404, 'not found');
    const file = staticFile(rendererDir, new URL(request.url).pathname);
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) return plain(404, 'not found');
    const body = await readFile(file);
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: responseHeaders(contentTypes[extname(file)] ?? 'application/octet-stream'),
    });
  };
}
