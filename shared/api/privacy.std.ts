/**
 * The privacy center's first part (issue 14): who receives what, built from the actual configuration and the
 * ledger (docs/chat.md "Who receives what").
 */
import { z } from 'zod';
import { returns, type CommandDefs } from './contract.std.ts';

export interface ProcessorView {
  /** Who: an AI provider by its name, a provider no longer configured, or the sync relay. */
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

export const privacyCommands = {
  'privacy.processors': { input: z.object({}), output: returns<ProcessorView[]>() },
} satisfies CommandDefs;
