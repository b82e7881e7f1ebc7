/**
 * The desktop build, checked in CI (issue 14): `npm run build` (renderer, Electron main/preload/core) runs; the app
 * electron-builder would pack from it holds what it needs and nothing else, its native modules are unpacked and
 * its fuses are set (support/pack-check.node.ts); Electronegativity over the sources and the built output finds
 * nothing its allowlist (electron/electronegativity-allowlist.json, a reason per entry) does not name. Each check
 * is also shown to fail on a planted violation.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/files.node.ts';
import { nativeBinariesOf, packedFiles, packProblems, readText, type BuilderConfig, type PackInput } from './support/pack-check.node.ts';
import { notAllowed, scan, type Allowlist } from './support/electronegativity.node.ts';

const repo = join(import.meta.dirname, '../..');
// electron-builder reads its YAML config with js-yaml (its dependency); the same parser reads it here.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };
const SKIP = new Set(['node_modules', '.git', '.stryker-tmp']);

/** Every file under `dir` (project-relative, POSIX), as electron-builder walks the project. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(full));
    else if (e.isFile()) out.push(relative(repo, full).split(sep).join('/'));
  }
  return out;
}

const listAll = (dir: string): string[] => {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
  } catch {
    return [];
  }
};

let input: PackInput;
const allowlist = JSON.parse(readFileSync(join(repo, 'electron/electronegativity-allowlist.json'), 'utf8')) as Allowlist;

beforeAll(() => {
  // The real build, as `npm run dist` runs it before packing.
  const build = spawnSync('npm', ['run', 'build'], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${join(repo, 'node_modules/.bin')}:${process.env['PATH'] ?? ''}` },
    timeout: 280_000,
  });
  if (build.status !== 0) throw new Error(`npm run build failed (${build.status}):\n${build.stdout}\n${build.stderr}`);
  const config = yaml.load(readFileSync(join(repo, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as PackInput['pkg'];
  input = {
    config,
    candidates: walk(repo),
    read: readText(repo),
    pkg,
    nativeBinaries: nativeBinariesOf(repo, Object.keys(pkg.dependencies), listAll),
  };
}, 300_000);

describe('the packed desktop app (electron-builder.yml over the built output)', () => {
  it('holds the entry points and every module they import, and nothing else; native modules unpacked; fuses set', () => {
    const packed = packedFiles(input.config, input.candidates);
    expect(packed).toContain('dist-electron/electron/main/main.main.js');
    expect(packed).toContain('dist-electron/electron/core/core.node.js');
    expect(packed.some((f) => f.startsWith('dist/renderer/assets/'))).toBe(true);
    expect(input.nativeBinaries.some((f) => f.startsWith('node_modules/better-sqlite3/'))).toBe(true);
    expect(packProblems(input)).toEqual([]);
  });

  it('fails on sources, source maps or tests let in by a pattern', () => {
    const withSources = packProblems({ ...input, config: { ...input.config, files: [...input.config.files, 'electron/**/*.ts'] } });
    expect(withSources).toContainEqual(expect.stringMatching(/^electron\/core\/core\.node\.ts would be packed: a TypeScript source$/));
    // Everything the Electron build emitted: the `!**/*.map` exclusion keeps the maps out; without it they go in.
    const everything = ['dist-electron/electron/**/*', ...input.config.files];
    expect(packProblems({ ...input, config: { ...input.config, files: everything } })).toEqual([]);
    const withMaps = packProblems({ ...input, config: { ...input.config, files: everything.filter((f) => f !== '!**/*.map') } });
    expect(withMaps).toContainEqual('dist-electron/electron/main/main.main.js.map would be packed: a source map');
    // The relay's code is emitted too (the CLI imports it) but is no part of the desktop app.
    expect(packProblems({ ...input, config: { ...input.config, files: ['dist-electron/**/*.js', ...input.config.files] } })).toContainEqual(
      'dist-electron/sync-server/relay.node.js would be packed but is not part of the app',
    );
    const withTests = packProblems({ ...input, config: { ...input.config, files: [...input.config.files, 'tests/**/*'] } });
    expect(withTests).toContainEqual(expect.stringMatching(/^tests\/.+ would be packed: a test/));
  });

  it('fails when a module the app imports would be missing, or comes from a dev dependency', () => {
    const missing = packProblems({ ...input, candidates: input.candidates.filter((f) => f !== 'dist-electron/electron/core/store/db.node.js') });
    expect(missing).toEqual(['dist-electron/electron/core/store/db.node.js is needed but would not be packed']);
    const devImport = packProblems({
      ...input,
      read: (f) => (f === 'dist-electron/electron/core/core.node.js' ? `${input.read(f)}\nimport 'vitest';\n` : input.read(f)),
    });
    expect(devImport).toEqual(['dist-electron/electron/core/core.node.js imports vitest, which is not a production dependency (it would be missing from the app)']);
  });

  it('fails when asarUnpack misses the native module or a fuse is not set', () => {
    const unpackNothing = packProblems({ ...input, config: { ...input.config, asarUnpack: ['**/*.dll'] } });
    expect(unpackNothing).toContainEqual(expect.stringMatching(/^node_modules\/better-sqlite3\/.+\.node is a native module but asarUnpack does not cover it/));
    expect(packProblems({ ...input, config: { ...input.config, electronFuses: { ...input.config.electronFuses, runAsNode: true } } })).toEqual(['fuse runAsNode must be false (is true)']);
    const { onlyLoadAppFromAsar: _dropped, ...fewer } = input.config.electronFuses ?? {};
    expect(packProblems({ ...input, config: { ...input.config, electronFuses: fewer } })).toEqual(['fuse onlyLoadAppFromAsar must be true (is unset)']);
  });
});

describe('Electronegativity (offline, SARIF, allowlist)', () => {
  it('every allowlist entry says why', () => {
    for (const e of [...allowlist.allowed, ...allowlist.excludedChecks]) expect(e.reason.trim().length, JSON.stringify(e)).toBeGreaterThan(20);
  });

  it('finds nothing outside the allowlist in electron/ or in the built output, and every entry is still needed', async () => {
    const sources = await scan(join(repo, 'electron'), repo, allowlist);
    const built = await scan(join(repo, 'dist-electron/electron'), repo, allowlist);
    expect(sources.length).toBeGreaterThan(0); // the scanner ran and read the files
    expect(notAllowed(sources, allowlist)).toEqual([]);
    expect(notAllowed(built, allowlist)).toEqual([]);
    const unused = allowlist.allowed.filter((a) => ![...sources, ...built].some((f) => f.check === a.check && f.file === a.file));
    expect(unused).toEqual([]);
  });

  it('fails on a planted violation', async () => {
    const dir = join(tempDir('planted'), 'electron', 'main');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'planted.main.ts'),
      "import { BrowserWindow } from 'electron';\nexport const w = new BrowserWindow({ webPreferences: { contextIsolation: false, sandbox: false } });\n",
    );
    expect(statSync(join(dir, 'planted.main.ts')).size).toBeGreaterThan(0);
    const found = notAllowed(await scan(dir, join(dir, '../..'), allowlist), allowlist);
    expect(found).toEqual(
      expect.arrayContaining([
        { check: 'CONTEXT_ISOLATION_JS_CHECK', file: 'electron/main/planted.main', line: 2 },
        { check: 'SANDBOX_JS_CHECK', file: 'electron/main/planted.main', line: 2 },
      ]),
    );
  });
});
