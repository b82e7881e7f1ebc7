/**
 * What electron-builder would put in the app (issue 14): its `files` patterns applied to the project tree, then
 * checked against what the app needs (package.json's main, the preload, the core host, the renderer, and every
 * module those import, transitively) and against what must never ship (sources, tests, source maps, data).
 * Also: the native modules are unpacked from the asar, and the fuses are set. Pure functions over a file list and
 * the parsed config, so a planted violation can be checked without packing anything.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, matchesGlob, posix } from 'node:path';

export interface BuilderConfig {
  files: string[];
  asarUnpack?: string[];
  asar?: boolean;
  electronFuses?: Record<string, boolean>;
}

/** electron-builder's rule (app-builder-lib's minimatchAll): patterns in order; a match is re-tested only by `!` patterns after it. */
export function packedFiles(config: BuilderConfig, candidates: string[]): string[] {
  return candidates.filter((f) => {
    let inside = false;
    for (const p of config.files) {
      if (p.startsWith('!')) {
        if (inside && matchesGlob(f, p.slice(1))) inside = false;
      } else if (!inside && matchesGlob(f, p)) inside = true;
    }
    return inside;
  });
}

/** The fuses the app depends on (docs/security.md), with the value each must have. */
export const REQUIRED_FUSES: Record<string, boolean> = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  grantFileProtocolExtraPrivileges: false,
};

/** What may ship: package.json, compiled JavaScript under dist-electron/, the built renderer. */
const ALLOWED = [/^package\.json$/, /^dist-electron\/(electron|shared)\/.+\.c?js$/, /^dist\/renderer\/.+/];
/** What must never ship, whatever a pattern says. */
const FORBIDDEN: [RegExp, string][] = [
  [/\.(ts|tsx|cts|mts)$/, 'a TypeScript source'],
  [/\.map$/, 'a source map'],
  [/(^|\/)tests?\//, 'a test folder'],
  [/\.(test|spec)\.[a-z]+$/, 'a test file'],
  [/\.(db|sqlite|db-wal|db-shm|sarif|log)$/, 'data'],
  [/(^|\/)fixtures\//, 'test data'],
  [/(^|\/)\.[^/]+/, 'a dot-file'],
];

export interface PackInput {
  config: BuilderConfig;
  /** Project-relative paths (POSIX) electron-builder would look at: the sources plus the built output. */
  candidates: string[];
  /** Reads a packed file's text (for import scanning). */
  read: (path: string) => string;
  pkg: { main: string; dependencies: Record<string, string> };
  /** Native binaries (project-relative) of production dependencies, which must be unpacked. */
  nativeBinaries: string[];
}

const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"])([^'"]+)\1/g;

/** Every problem with the app as it would be packed; empty when it is right. */
export function packProblems(input: PackInput): string[] {
  const problems: string[] = [];
  const packed = new Set(packedFiles(input.config, input.candidates));
  for (const f of packed) {
    const bad = FORBIDDEN.find(([re]) => re.test(f));
    if (bad) problems.push(`${f} would be packed: ${bad[1]}`);
    else if (!ALLOWED.some((re) => re.test(f))) problems.push(`${f} would be packed but is not part of the app`);
  }
  // Entry points, then everything they import.
  const entries = [input.pkg.main, 'dist-electron/electron/preload/preload.preload.cjs', 'dist-electron/electron/main/core-host.main.js', 'dist/renderer/index.html'];
  const queue = [...entries];
  const seen = new Set<string>();
  const prodDeps = new Set(Object.keys(input.pkg.dependencies));
  while (queue.length) {
    const f = queue.shift()!;
    if (seen.has(f)) continue;
    seen.add(f);
    if (!packed.has(f)) {
      problems.push(`${f} is needed${entries.includes(f) ? ' (an entry point)' : ''} but would not be packed`);
      continue;
    }
    const text = input.read(f);
    if (f.endsWith('.html')) {
      for (const m of text.matchAll(/(?:src|href)="\.\/([^"]+)"/g)) queue.push(posix.join(posix.dirname(f), m[1]!));
      continue;
    }
    // The renderer is one bundle whose imports vite resolved; its text quotes import examples (React's messages).
    if (!/^dist-electron\/.+\.c?js$/.test(f)) continue;
    // Comment lines are left out: tsc keeps comments, and prose like `tell "used" from "wrong"` reads as an import.
    const code = text
      .split('\n')
      .filter((line) => !/^\s*(?:\/\/|\/\*|\*)/.test(line))
      .join('\n');
    for (const m of code.matchAll(RELATIVE_IMPORT)) {
      const spec = m[2]!;
      if (spec.startsWith('.')) queue.push(posix.normalize(posix.join(posix.dirname(f), spec)));
      else {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (spec.startsWith('node:') || builtinModules.includes(name) || name === 'electron') continue;
        if (!prodDeps.has(name)) problems.push(`${f} imports ${name}, which is not a production dependency (it would be missing from the app)`);
      }
    }
  }
  if (input.config.asar === false) problems.push('asar is off: the asar-integrity and only-load-from-asar fuses then protect nothing');
  for (const binary of input.nativeBinaries) {
    if (!(input.config.asarUnpack ?? []).some((p) => matchesGlob(binary, p))) problems.push(`${binary} is a native module but asarUnpack does not cover it (it cannot load from inside the archive)`);
  }
  for (const [fuse, value] of Object.entries(REQUIRED_FUSES)) {
    const set = input.config.electronFuses?.[fuse];
    if (set !== value) problems.push(`fuse ${fuse} must be ${value} (is ${set ?? 'unset'})`);
  }
  return problems;
}

/** Native binaries (.node) of the production dependencies, as electron-builder would find them under node_modules. */
export function nativeBinariesOf(repo: string, deps: string[], list: (dir: string) => string[]): string[] {
  return deps.flatMap((d) => list(join(repo, 'node_modules', d)).filter((f) => f.endsWith('.node')).map((f) => `node_modules/${d}/${f}`));
}

export const readText = (repo: string) => (path: string) => readFileSync(join(repo, path), 'utf8');
