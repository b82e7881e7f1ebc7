/**
 * Consent records, in the settings document (encrypted, synced like the rest of it). Each grant or revoke is
 * appended as an event — what, when, which device — rather than set in place: a Y.Array keeps every device's
 * appends when they merge, so the history survives, and the choice in force is the event with the latest time
 * (ties: the later in the merged array). A grant on one device and a revoke on another therefore end with whichever
 * was made last by the clock, on every device once both have synced (docs/privacy.md "Consent").
 */
import type * as Y from 'yjs';
import { consentNames, consents, type ConsentName, type ConsentView } from '../../../shared/api/privacy.std.ts';
import { defaultDeviceName, readDeviceNames } from './settings-doc.node.ts';

interface ConsentEvent {
  name: string;
  granted: boolean;
  at: number;
  /** The device's name when the change was made (shown when the device has no name now). */
  device: string;
  /** The device's id once it is on a sync account (absent before, and in events from before ids were kept). */
  deviceId?: string;
}

const log = (doc: Y.Doc) => doc.getArray<ConsentEvent>('consentLog');

/**
 * Which device made a change, as the user knows it: the name they gave that device (devices.rename; the same on
 * every device, and a rename shows here too), else the name recorded with the change — the computer's name on a
 * device not yet on a sync account, which has no id to name.
 */
const deviceOf = (e: ConsentEvent, names: Map<string, string>): string => (e.deviceId && names.get(e.deviceId)) || e.device;

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
  const names = readDeviceNames(doc);
  return consentNames.map((name) => {
    const e = latest(doc, name);
    return { name, ...consents[name], granted: e?.granted ?? false, changedAt: e?.at ?? null, device: e ? deviceOf(e, names) : null };
  });
}

/**
 * Records a change made on this device (`deviceId`: its id, or null while it is on no sync account). Its time is
 * kept after the latest one seen, so a click here wins even against a fast clock elsewhere.
 */
export function setConsent(doc: Y.Doc, name: ConsentName, granted: boolean, now: number, deviceId: string | null): ConsentView {
  const at = Math.max(now, (latest(doc, name)?.at ?? 0) + 1);
  const device = (deviceId && readDeviceNames(doc).get(deviceId)) || defaultDeviceName();
  log(doc).push([{ name, granted, at, device, ...(deviceId ? { deviceId } : {}) }]);
  return listConsents(doc).find((c) => c.name === name)!;
}
