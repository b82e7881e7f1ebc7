/**
 * The process boundaries in file names are enforced by ESLint (eslint.config.js). These tests lint small virtual
 * files at real paths, so a rule that stops matching (a renamed folder, a changed pattern) fails here.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint keeps process boundaries', () => {
  const renderer = 'renderer/boundary-probe.dom.tsx';
  it('renderer code may not import Node, Electron, the core or main-process code', async () => {
    for (const code of [
      "import { readFileSync } from 'node:fs'; readFileSync;",
      "import { ipcRenderer } from 'electron'; ipcRenderer;",
      "import { openCore } from '../electron/core/core.node.ts'; openCore;",
      "import x from '../electron/main/main.main.ts'; x;",
      "import Database from 'better-sqlite3'; Database;",
    ]) {
      expect(await restricted(renderer, code), code).not.toEqual([]);
    }
  });

  it('renderer code may import shared pure code and React', async () => {
    expect(await restricted(renderer, "import { commands } from '../shared/api/index.std.ts'; import { useState } from 'react'; commands; useState;")).toEqual([]);
  });

  it('pure (*.std.ts) code may import neither Node nor the renderer', async () => {
    expect(await restricted('shared/boundary-probe.std.ts', "import { join } from 'node:path'; join;")).not.toEqual([]);
    expect(await restricted('shared/boundary-probe.std.ts', "import { create } from 'zustand'; create;")).not.toEqual([]);
  });

  it('the core may not import Electron', async () => {
    expect(await restricted('electron/core/boundary-probe.node.ts', "import { app } from 'electron'; app;")).not.toEqual([]);
    expect(await restricted('electron/core/boundary-probe.node.ts', "import { readFileSync } from 'node:fs'; readFileSync;")).toEqual([]);
  });
});
