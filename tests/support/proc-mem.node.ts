/**
 * Test-only: reads another process's memory on Linux (/proc/PID/maps + /proc/PID/mem) and reports where given
 * byte sequences occur. Needs the target to be our child (ptrace access mode "read", Yama scope ≤ 1).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

export interface Hit {
  needle: string;
  address: string;
  region: string;
}

const CHUNK = 8 * 1024 * 1024;

/** Every readable mapping of the process (its heap, stacks, anonymous memory, wasm memory, libraries' data). */
function regions(pid: number): { start: bigint; end: bigint; label: string }[] {
  return readFileSync(`/proc/${pid}/maps`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/))
    .filter(([, perms, , , , path]) => perms!.startsWith('r') && path !== '[vvar]' && path !== '[vsyscall]' && path !== '[vvar_vclock]')
    .map(([range, perms, , , , path]) => {
      const [s, e] = range!.split('-');
      return { start: BigInt(`0x${s}`), end: BigInt(`0x${e}`), label: `${perms} ${path ?? '[anon]'}` };
    });
}

/** Scans all readable memory of `pid` for each needle; returns every occurrence. */
export function scanProcess(pid: number, needles: Record<string, Uint8Array>): Hit[] {
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const hits: Hit[] = [];
  const longest = Math.max(...Object.values(needles).map((n) => n.length));
  const buf = Buffer.alloc(CHUNK + longest);
  try {
    for (const r of regions(pid)) {
      for (let at = r.start; at < r.end; at += BigInt(CHUNK)) {
        const want = Number(r.end - at < BigInt(CHUNK + longest) ? r.end - at : BigInt(CHUNK + longest));
        let n = 0;
        try {
          n = readSync(fd, buf, 0, want, at);
        } catch {
          break; // guard pages and the like cannot be read
        }
        const view = buf.subarray(0, n);
        for (const [name, needle] of Object.entries(needles)) {
          let i = view.indexOf(needle);
          while (i >= 0 && i < CHUNK) {
            hits.push({ needle: name, address: `0x${(at + BigInt(i)).toString(16)}`, region: r.label });
            i = view.indexOf(needle, i + 1);
          }
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return hits;
}
