/**
 * Electronegativity (@doyensec/electronegativity), run offline and read through its SARIF output (issue 14).
 *
 * Its CLI entry breaks on the hoisted commander 15, so its runner is called directly. It makes two network calls,
 * both through `got`: a translations download at start (offline, got's timeout path ends in an unhandled rejection
 * — "onCancel handler was attached after the promise settled" — which is what crashed the documented command) and
 * Electron's release list for AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK. The tool is given a `got` that fails at once,
 * as an offline request should (it then uses its bundled English), and that check is excluded, with its reason, in
 * the allowlist file.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';

const require = createRequire(import.meta.url);

/** Installs, once, a `got` for the tool that fails every request at once: the scan must not touch the network. */
function offlineGot(): void {
  const toolRequire = createRequire(require.resolve('@doyensec/electronegativity/dist/runner.js'));
  const gotPath = toolRequire.resolve('got');
  const offline = () => Promise.reject(new Error('offline: Electronegativity runs without network access here'));
  require.cache[gotPath] = { id: gotPath, filename: gotPath, loaded: true, exports: Object.assign(offline, { default: offline }) } as unknown as NodeJS.Module;
}

export interface Finding {
  check: string;
  /** Path relative to the repository, without the built prefix or extension: the same for a source and its output. */
  file: string;
  line: number;
}

export interface Allowlist {
  excludedChecks: { check: string; reason: string }[];
  allowed: { check: string; file: string; reason: string }[];
}

export const ELECTRON_VERSION = (require('electron/package.json') as { version: string }).version;

/** `dist-electron/electron/main/x.main.js` and `electron/main/x.main.ts` both become `electron/main/x.main`. */
export function findingKey(repo: string, absolute: string): string {
  return relative(repo, absolute).split(sep).join('/').replace(/^dist-electron\//, '').replace(/\.(c?ts|c?js|tsx)$/, '');
}

interface Sarif {
  runs: { results?: { ruleId: string; locations?: { physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } } }[] }[] }[];
}

/** The tool writes its SARIF with an unawaited fs.writeFile after its runner resolves: wait for a whole file. */
async function readSarif(path: string): Promise<Sarif> {
  for (let i = 0; ; i++) {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Sarif;
    } catch (e) {
      if (i >= 200) throw new Error(`Electronegativity wrote no readable SARIF to ${path}`, { cause: e });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Scans `input` (a folder), returns every finding from the SARIF file the tool wrote. */
export async function scan(input: string, repo: string, allowlist: Allowlist): Promise<Finding[]> {
  const out = mkdtempSync(join(tmpdir(), 'ms-electronegativity-'));
  const sarifPath = join(out, 'result.sarif');
  const savedLang = process.env['LANG'];
  // The tool downloads translations for $LANG; its bundled en-US needs none.
  process.env['LANG'] = 'en-US';
  const log = console.log;
  try {
    offlineGot();
    const runner = require('@doyensec/electronegativity/dist/runner.js') as (o: object, forCli: boolean) => Promise<unknown>;
    // The tool prints its progress and table to the console; the SARIF file is what is read.
    console.log = () => {};
    await runner(
      {
        input,
        output: sarifPath,
        isSarif: true,
        customScan: [],
        excludeFromScan: allowlist.excludedChecks.map((c) => c.check.replace(/_/g, '').toLowerCase()),
        isRelative: false,
        isVerbose: false,
        electronVersionOverride: ELECTRON_VERSION,
        parserPlugins: [],
      },
      false,
    );
    const sarif = await readSarif(sarifPath);
    return sarif.runs.flatMap((run) =>
      (run.results ?? []).map((r) => {
        const loc = r.locations?.[0]?.physicalLocation;
        const uri = decodeURIComponent((loc?.artifactLocation?.uri ?? '').replace(/^file:\/\//, ''));
        // Global checks (CSP, navigation limits…) name no file: the tool writes "file:///".
        const file = uri === '' || uri === '/' ? '(global)' : findingKey(repo, uri.startsWith('/') ? uri : join(input, uri));
        return { check: r.ruleId, file, line: loc?.region?.startLine ?? 0 };
      }),
    );
  } finally {
    console.log = log;
    if (savedLang === undefined) delete process.env['LANG'];
    else process.env['LANG'] = savedLang;
    rmSync(out, { recursive: true, force: true });
  }
}

/** Findings the allowlist does not name (by check and file). */
export function notAllowed(findings: Finding[], allowlist: Allowlist): Finding[] {
  return findings.filter((f) => !allowlist.allowed.some((a) => a.check === f.check && a.file === f.file));
}
