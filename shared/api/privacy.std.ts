/**
 * The privacy center's first part (issue 14): who receives what, built from the actual configuration and the
 * ledger (docs/chat.md "Who receives what").
 */
import { z } from 'zod';
import { returns, type CommandDefs } from './contract.std.ts';
import type { RecordKind } from '../domain.std.ts';

export interface ProcessorView {
  /** Who: an AI provider by its name, a provider no longer configured, the sync relay, or a public gallery. */
  party: string;
  /** host[:port] the requests go to. */
  host: string;
  /** What it receives, in plain words (never content itself). */
  receives: string[];
  /** Last request the ledger recorded (for the relay: the last sync), or null. */
  lastUsedAt: number | null;
  /** Requests in the ledger over the last 30 days; null for the relay, whose traffic the ledger does not record. */
  requests30d: number | null;
}

export { consents, consentNames, type ConsentName } from '../consents.std.ts';
import { consentNames, type ConsentName } from '../consents.std.ts';

export interface ConsentView {
  name: ConsentName;
  title: string;
  does: string;
  granted: boolean;
  /** The latest grant or revoke (any device), or null while never set. */
  changedAt: number | null;
  /** Which device made that change. */
  device: string | null;
}

export interface HeldView {
  local: {
    records: Record<RecordKind, number>;
    messages: number;
    /** Encrypted documents and their bytes on disk, assets (images) and theirs. */
    documents: number;
    documentBytes: number;
    assets: number;
    assetBytes: number;
  };
  /** The relay's own count for this account; null while sync is off; `error` when the relay could not be asked. */
  relay: { updates: number; snapshots: number; tombstones: number; bytes: number; devices: number } | { error: string } | null;
}

const ConsentName = z.enum(consentNames as [ConsentName, ...ConsentName[]]);

export const privacyCommands = {
  'privacy.processors': { input: z.object({}), output: returns<ProcessorView[]>() },
  /** Counts and sizes of what is held, here and (asked of the relay itself) on the relay. */
  'privacy.held': { input: z.object({}), output: returns<HeldView>() },
} satisfies CommandDefs;

export const consentCommands = {
  'consent.list': { input: z.object({}), output: returns<ConsentView[]>() },
  /** Grants or revokes one consent, recorded with the time and this device, synced; effective on the next request. */
  'consent.set': { input: z.object({ name: ConsentName, granted: z.boolean() }), output: returns<ConsentView>() },
} satisfies CommandDefs;
