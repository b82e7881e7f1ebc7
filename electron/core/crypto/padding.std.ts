/**
 * PADMÉ padding (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication with
 * PURBs", 2019): pads a length L to at most ~12% more while leaking only O(log log L) bits of it.
 * The padded plaintext is data ‖ 0x80 ‖ 0x00… (ISO/IEC 7816-4), so the original length is recoverable.
 */

export function padmeLength(length: number): number {
  if (length < 2) return length;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const lastBits = e - s;
  const mask = 2 ** lastBits - 1;
  return Math.floor((length + mask) / 2 ** lastBits) * 2 ** lastBits;
}

/** Minimum padded size, so short records (titles, heads) all look alike. */
const MIN_PADDED = 64;

export function pad(data: Uint8Array): Uint8Array {
  const target = Math.max(MIN_PADDED, padmeLength(data.length + 1));
  const out = new Uint8Array(target);
  out.set(data, 0);
  out[data.length] = 0x80;
  return out;
}

/** Returns null if the padding is malformed (only possible after authenticated decryption of bad data). */
export function unpad(padded: Uint8Array): Uint8Array | null {
  for (let i = padded.length - 1; i >= 0; i--) {
    const b = padded[i];
    if (b === 0x80) return padded.subarray(0, i);
    if (b !== 0) return null;
  }
  return null;
}
