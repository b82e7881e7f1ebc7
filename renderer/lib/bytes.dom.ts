/** Base64 helpers: binary crosses the API as base64 (IPC and WebSocket both carry JSON). */

export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  const step = 0x8000; // String.fromCharCode has an argument limit; go in chunks
  for (let i = 0; i < bytes.length; i += step) out += String.fromCharCode(...bytes.subarray(i, i + step));
  return btoa(out);
}

export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function fileToBase64(file: File): Promise<string> {
  return bytesToBase64(new Uint8Array(await file.arrayBuffer()));
}

/** Offers bytes to the user as a download (the only way a card export leaves the app: the user asked). */
export function downloadBytes(fileName: string, mime: string, b64: string): void {
  const url = URL.createObjectURL(new Blob([base64ToBytes(b64)], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
