/**
 * Consent records, in the settings document (encrypted, synced like the rest of it). Each grant or revoke is
 * appended as an event — what, when, which device — rather than set in place: a Y.Array keeps every device's
 * appends when they merge, so the history survives, and the choice in force is the event with the latest time
 * (ties: the later in the merged array). A grant on one device and a revoke on another therefore end with whichever
 * was made last by the clock, on every device once both have synced (docs/privacy.md "Consent").
 */
import { hostname } from 'node:os';
import type * as Y from 'yjs';
import { consentNames, consents, type ConsentName, type ConsentView } from '../../../shared/api/privacy.std.ts';

interface ConsentEvent {
  name: string;
  granted: boolean;
  at: number;
  device: string;
}

const log = (doc: Y.Doc) => doc.getArray<ConsentEvent>('consentLog');

/** This device, as the record names it: the computer's name (kept only inside the vault). */
export const thisDevice = (): string => hostname() || 'this device';

function latest(doc: Y.Doc, name: ConsentName): ConsentEvent | undefined {
  let best: ConsentEvent | undefined;
  for (const e of log(doc)) if (e.name === name && (!best || e.at >= best.at)) best = e;
  return best;
}

/** Whether `name` is granted now. Everything is off until granted. */
export function consentGranted(doc: Y.Doc, name: ConsentName): boolean {
  return latest(doc, name)?.granted ?? false;
}

export function listConsents(doc: Y.Doc): ConsentView[] {
  return consentNames.map((name) => {
    const e = latest(doc, name);
    return { name, ...consents[name], granted: e?.granted ?? false, changedAt: e?.at ?? null, device: e?.device ?? null };
  });
}

/** Records a change. Its time is kept after the latest one seen, so a click here wins even against a fast clock elsewhere. */
export function setConsent(doc: Y.Doc, name: ConsentName, granted: boolean, now: number, device = thisDevice()): ConsentView {
  const at = Math.max(now, (latest(doc, name)?.at ?? 0) + 1);
  log(doc).push([{ name, granted, at, device }]);
  return listConsents(doc).find((c) => c.name === name)!;
}
