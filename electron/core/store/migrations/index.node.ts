/** Every migration, in order. Add a new file NNNN-name.node.ts with its own test, then list it here. */
import { migration0001 } from './0001-initial.node.ts';
import { migration0002 } from './0002-assets.node.ts';
import { migration0003 } from './0003-sync.node.ts';
import { migration0004 } from './0004-manifest.node.ts';
import { migration0005 } from './0005-rowid-blobs.node.ts';
import type { Migration } from './types.node.ts';

export const migrations: readonly Migration[] = [migration0001, migration0002, migration0003, migration0004, migration0005];
export const LATEST_SCHEMA = migrations.at(-1)!.version;
