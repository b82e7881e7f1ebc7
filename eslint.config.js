// Process boundaries are part of each file's name (see ARCHITECTURE.md):
//   *.std.ts   pure code, runs anywhere: no Node, no DOM-only APIs, no Electron
//   *.dom.ts(x) renderer code: may use the DOM, never Node, Electron or the core
//   *.node.ts  Node code (core, CLI, relay, tests); *.main.ts Electron main; *.preload.ts the preload
// The rules below make a wrong import a lint error instead of a review comment.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeOnly = [
  { group: ['node:*'], message: 'Node built-ins are not available here.' },
  { group: ['electron', 'electron/*'], message: 'Electron is only for *.main.ts and *.preload.ts.' },
  { group: ['better-sqlite3', 'libsodium-wrappers-sumo', 'ws', 'pg', 'pino', 'openai'], message: 'Core-only dependency.' },
  { group: ['**/*.node', '**/*.node.ts', '**/*.main', '**/*.main.ts', '**/*.preload', '**/*.preload.ts'], message: 'This file may not import Node, main or preload code.' },
  { group: ['**/electron/core/**', '**/sync-server/**'], message: 'The renderer talks to the core only through the typed API.' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.scratch/**', 'dist/**', 'dist-electron/**', 'test-output/**', 'bench-results/**', 'reports/**', '.stryker-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.dom.ts', '**/*.dom.tsx', 'renderer/**/*.ts', 'renderer/**/*.tsx'],
    ignores: ['**/*.test.ts', '**/*.test.tsx', 'renderer/vite.config.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', { patterns: nodeOnly }] },
  },
  {
    files: ['**/*.std.ts'],
    ignores: ['**/*.test.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [...nodeOnly, { group: ['**/*.dom', '**/*.dom.ts', '**/*.dom.tsx', 'react', 'react-dom', 'zustand'], message: 'Pure code may not import the renderer.' }],
      }],
    },
  },
  {
    files: ['electron/core/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['electron', 'electron/*'], message: 'The core is plain Node: it runs in the CLI, browser mode and tests too.' },
          { group: ['**/*.dom', '**/*.dom.ts', '**/*.dom.tsx', '**/*.main', '**/*.main.ts'], message: 'The core may not import the renderer or the main process.' }],
      }],
    },
  },
);
