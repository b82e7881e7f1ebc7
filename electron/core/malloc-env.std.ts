/**
 * glibc settings for a process that runs the core (bin/mindstage sets the same; the Electron main process passes
 * them to the core's utility process): freed blocks are overwritten (MALLOC_PERTURB_), and the per-thread cache,
 * which skips that overwrite, is off. Without them a lock left several times more copies of decrypted text in the
 * malloc heap (tests/security/memory-scan.test.ts). They must be in the environment when the process starts.
 */
export const HARDENED_MALLOC_ENV = { MALLOC_PERTURB_: '204', GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' } as const;
