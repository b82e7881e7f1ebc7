import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { defaultPreferences, readPreferences, writePreferences } from './settings-doc.node.ts';

/** Two replicas of one settings document that exchange their updates, as two synced devices do. */
function pair() {
  const a = new Y.Doc();
  const b = new Y.Doc();
  const sync = () => {
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
  };
  return { a, b, sync };
}

describe('preferences in the settings document', () => {
  it('starts from the defaults and keeps what is written', () => {
    const doc = new Y.Doc();
    expect(readPreferences(doc)).toEqual(defaultPreferences);
    writePreferences(doc, { theme: 'dark', fontSize: 18 });
    expect(readPreferences(doc)).toMatchObject({ theme: 'dark', fontSize: 18, chatStyle: 'bubbles' });
  });

  it('keeps both changes when two devices change different preferences at the same time', () => {
    const { a, b, sync } = pair();
    writePreferences(a, { theme: 'light' });
    sync();
    writePreferences(a, { theme: 'dark' });
    writePreferences(b, { favourites: ['0123456789abcdef0123456789abcdef'], readAloud: true });
    sync();
    for (const doc of [a, b]) expect(readPreferences(doc)).toMatchObject({ theme: 'dark', favourites: ['0123456789abcdef0123456789abcdef'], readAloud: true });
  });

  it('reads a vault from before (one object) beneath the entries, and a device still holding it loses nothing', () => {
    const { a, b, sync } = pair();
    a.getMap('prefs').set('preferences', { ...defaultPreferences, theme: 'dark', accent: '#3b6fd8', defaultPersonaId: '0123456789abcdef0123456789abcdef' });
    sync();
    expect(readPreferences(b)).toMatchObject({ theme: 'dark', accent: '#3b6fd8' });
    writePreferences(b, { fontSize: 20 });
    writePreferences(a, { chatStyle: 'document' });
    sync();
    for (const doc of [a, b]) expect(readPreferences(doc)).toMatchObject({ theme: 'dark', accent: '#3b6fd8', fontSize: 20, chatStyle: 'document' });
    // Clearing a preference the old object holds: the old value does not come back from beneath.
    writePreferences(a, { defaultPersonaId: undefined, theme: undefined });
    sync();
    for (const doc of [a, b]) {
      expect(readPreferences(doc)).not.toHaveProperty('defaultPersonaId');
      expect(readPreferences(doc).theme).toBe(defaultPreferences.theme);
    }
  });
});
