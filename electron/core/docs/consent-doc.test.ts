/**
 * Consent records merge across devices: each change is an appended event, and the one with the latest time is in
 * force on every device once their settings documents have exchanged updates, whichever order they arrive in.
 */
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { consentGranted, listConsents, setConsent } from './consent-doc.node.ts';
import { defaultDeviceName, setDeviceName } from './settings-doc.node.ts';

// Device ids as the sync account knows them; each device's given name lives in the same settings document.
const LAPTOP = 'aa'.repeat(32);
const PHONE = 'bb'.repeat(32);
const named = (doc: Y.Doc) => {
  setDeviceName(doc, LAPTOP, 'laptop');
  setDeviceName(doc, PHONE, 'phone');
  return doc;
};

const exchange = (a: Y.Doc, b: Y.Doc) => {
  const ua = Y.encodeStateAsUpdate(a);
  const ub = Y.encodeStateAsUpdate(b);
  Y.applyUpdate(b, ua);
  Y.applyUpdate(a, ub);
};

describe('consent records', () => {
  it('are off by default and follow the latest change on this device', () => {
    const doc = named(new Y.Doc());
    expect(consentGranted(doc, 'portraits-in-chat')).toBe(false);
    setConsent(doc, 'portraits-in-chat', true, 1_000, LAPTOP);
    expect(consentGranted(doc, 'portraits-in-chat')).toBe(true);
    expect(consentGranted(doc, 'network-voices')).toBe(false);
    // A clock set back still takes effect here: the change is stamped after the one in force.
    const v = setConsent(doc, 'portraits-in-chat', false, 10, LAPTOP);
    expect(v).toMatchObject({ granted: false, changedAt: 1_001, device: 'laptop' });
  });

  it('a grant on one device and a later revoke on another end revoked on both, in either arrival order', () => {
    for (const order of ['grant first', 'revoke first'] as const) {
      const laptop = named(new Y.Doc());
      const phone = named(new Y.Doc());
      setConsent(laptop, 'portraits-in-chat', true, 5_000, LAPTOP);
      setConsent(phone, 'portraits-in-chat', false, 6_000, PHONE);
      if (order === 'grant first') exchange(laptop, phone);
      else exchange(phone, laptop);
      for (const d of [laptop, phone]) {
        expect(listConsents(d).find((c) => c.name === 'portraits-in-chat')).toMatchObject({ granted: false, changedAt: 6_000, device: 'phone' });
        // Both changes are kept: the record says what, when and where.
        expect(d.getArray('consentLog').toArray()).toHaveLength(2);
      }
    }
  });

  it('a later grant wins over an earlier revoke made elsewhere', () => {
    const laptop = named(new Y.Doc());
    const phone = named(new Y.Doc());
    setConsent(phone, 'network-voices', false, 1_000, PHONE);
    setConsent(laptop, 'network-voices', true, 2_000, LAPTOP);
    exchange(laptop, phone);
    expect(consentGranted(phone, 'network-voices')).toBe(true);
    expect(consentGranted(laptop, 'network-voices')).toBe(true);
  });

  it('a device on no sync account is named by its computer; a device renamed later shows its new name', () => {
    const doc = named(new Y.Doc());
    expect(setConsent(doc, 'portraits-in-chat', true, 1_000, null)).toMatchObject({ device: defaultDeviceName() });
    expect(doc.getArray('consentLog').get(0)).not.toHaveProperty('deviceId');
    setConsent(doc, 'portraits-in-chat', false, 2_000, PHONE);
    setDeviceName(doc, PHONE, "Anna's phone");
    expect(listConsents(doc).find((c) => c.name === 'portraits-in-chat')).toMatchObject({ device: "Anna's phone" });
  });
});
