/**
 * Consent records merge across devices: each change is an appended event, and the one with the latest time is in
 * force on every device once their settings documents have exchanged updates, whichever order they arrive in.
 */
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { consentGranted, listConsents, setConsent } from './consent-doc.node.ts';

const exchange = (a: Y.Doc, b: Y.Doc) => {
  const ua = Y.encodeStateAsUpdate(a);
  const ub = Y.encodeStateAsUpdate(b);
  Y.applyUpdate(b, ua);
  Y.applyUpdate(a, ub);
};

describe('consent records', () => {
  it('are off by default and follow the latest change on this device', () => {
    const doc = new Y.Doc();
    expect(consentGranted(doc, 'portraits-in-chat')).toBe(false);
    setConsent(doc, 'portraits-in-chat', true, 1_000, 'laptop');
    expect(consentGranted(doc, 'portraits-in-chat')).toBe(true);
    expect(consentGranted(doc, 'network-voices')).toBe(false);
    // A clock set back still takes effect here: the change is stamped after the one in force.
    const v = setConsent(doc, 'portraits-in-chat', false, 10, 'laptop');
    expect(v).toMatchObject({ granted: false, changedAt: 1_001, device: 'laptop' });
  });

  it('a grant on one device and a later revoke on another end revoked on both, in either arrival order', () => {
    for (const order of ['grant first', 'revoke first'] as const) {
      const laptop = new Y.Doc();
      const phone = new Y.Doc();
      setConsent(laptop, 'portraits-in-chat', true, 5_000, 'laptop');
      setConsent(phone, 'portraits-in-chat', false, 6_000, 'phone');
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
    const laptop = new Y.Doc();
    const phone = new Y.Doc();
    setConsent(phone, 'network-voices', false, 1_000, 'phone');
    setConsent(laptop, 'network-voices', true, 2_000, 'laptop');
    exchange(laptop, phone);
    expect(consentGranted(phone, 'network-voices')).toBe(true);
    expect(consentGranted(laptop, 'network-voices')).toBe(true);
  });
});
