// Builds the renderer once for both the Electron window (custom protocol) and browser mode (127.0.0.1):
// relative asset URLs (base './') work under either origin, and no inline scripts are emitted, so the strict
// CSP (script-src 'self') holds.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // Inlined assets become data: URLs; keep everything as files so the CSP needs no data: for scripts.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    // The zxcvbn dictionaries are one large chunk, loaded only when a passphrase is being chosen.
    chunkSizeWarningLimit: 1500,
  },
});
