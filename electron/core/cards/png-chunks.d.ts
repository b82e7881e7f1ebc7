// The png-chunks-* packages ship plain CommonJS without types; these are the shapes their READMEs document.
declare module 'png-chunks-extract' {
  interface PngChunk {
    name: string;
    data: Uint8Array;
  }
  /** Splits a PNG into its chunks; throws on a bad signature, a CRC mismatch or a missing IEND. */
  function extractChunks(data: Uint8Array): PngChunk[];
  export default extractChunks;
}

declare module 'png-chunks-encode' {
  /** Joins chunks back into a PNG file, computing each CRC. */
  function encodeChunks(chunks: ReadonlyArray<{ name: string; data: Uint8Array }>): Uint8Array;
  export default encodeChunks;
}

declare module 'png-chunk-text' {
  /** Builds a tEXt chunk; keyword and text must be Latin-1. */
  export function encode(keyword: string, text: string): { name: 'tEXt'; data: Uint8Array };
  /** Reads a tEXt chunk (or its data) as Latin-1 keyword and text. */
  export function decode(chunk: Uint8Array | { name: string; data: Uint8Array }): { keyword: string; text: string };
}
