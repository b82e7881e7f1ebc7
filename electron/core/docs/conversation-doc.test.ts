import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addAlternative,
  appendMessage,
  chooseAlternative,
  deleteMessage,
  patchAlternative,
  readMessages,
  readSegments,
  writeSegment,
} from './conversation-doc.node.ts';

const alt = (id: string, text: string) => ({ id, text, createdAt: 1 });
const sync = (a: Y.Doc, b: Y.Doc) => {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
};

describe('conversation documents', () => {
  it('reads a head\'s segment list anew after every change to it, local or from another device', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    writeSegment(a, 0, 0);
    const first = readSegments(a);
    expect(first).toEqual([{ k: 0, n: 0 }]);
    // Read once per change: the same list until something changes.
    expect(readSegments(a)).toBe(first);
    writeSegment(a, 0, 1000);
    writeSegment(a, 1, 0);
    expect(readSegments(a)).toEqual([{ k: 0, n: 1000 }, { k: 1, n: 0 }]);
    sync(a, b);
    expect(readSegments(b)).toEqual([{ k: 0, n: 1000 }, { k: 1, n: 0 }]);
    // Another device rolls over and records a deletion; a change elsewhere in the head leaves the list as it was.
    b.transact(() => {
      b.getMap<number>('segs').set('1', 999);
      b.getMap<number>('segs').set('2', 0);
    });
    const before = readSegments(a);
    a.getMap('meta').set('title', 'renamed');
    expect(readSegments(a)).toBe(before);
    sync(b, a);
    expect(readSegments(a)).toEqual([{ k: 0, n: 1000 }, { k: 1, n: 999 }, { k: 2, n: 0 }]);
    // A list read inside a transaction that then changes it is not served again afterwards.
    a.transact(() => {
      readSegments(a);
      a.getMap<number>('segs').set('3', 0);
    });
    expect(readSegments(a).map((s) => s.k)).toEqual([0, 1, 2, 3]);
  });

  it('shows alternatives in order with the chosen one, edits applied', () => {
    const d = new Y.Doc();
    appendMessage(d, { id: 'm1', role: 'character', createdAt: 1, alt: alt('a1', 'first') });
    addAlternative(d, 'm1', alt('a2', 'second'));
    patchAlternative(d, 'a1', { text: 'first, edited', editedAt: 5 });
    let [m] = readMessages(d);
    expect(m!.alternatives.map((a) => a.text)).toEqual(['first, edited', 'second']);
    expect(m!.chosen).toBe(1);
    expect(m!.editedAt).toBe(5);
    chooseAlternative(d, 'm1', 'a1');
    [m] = readMessages(d);
    expect(m!.chosen).toBe(0);
  });

  it('two devices appending and regenerating offline merge without losing anything', () => {
    const a = new Y.Doc();
    appendMessage(a, { id: 'm1', role: 'user', createdAt: 1, alt: alt('x', 'hello') });
    const b = new Y.Doc();
    sync(a, b);
    appendMessage(a, { id: 'mA', role: 'user', createdAt: 2, alt: alt('ya', 'from A') });
    appendMessage(b, { id: 'mB', role: 'user', createdAt: 2, alt: alt('yb', 'from B') });
    addAlternative(a, 'm1', alt('ra', 'regen on A'));
    addAlternative(b, 'm1', alt('rb', 'regen on B'));
    sync(a, b);
    const ma = readMessages(a);
    expect(ma).toEqual(readMessages(b));
    expect(ma.map((m) => m.id).sort()).toEqual(['m1', 'mA', 'mB']);
    expect(ma[0]!.alternatives.map((x) => x.text).sort()).toEqual(['hello', 'regen on A', 'regen on B']);
  });

  it('a deletion on one device and an edit on another converge', () => {
    const a = new Y.Doc();
    appendMessage(a, { id: 'm1', role: 'user', createdAt: 1, alt: alt('x', 'one') });
    appendMessage(a, { id: 'm2', role: 'user', createdAt: 1, alt: alt('y', 'two') });
    const b = new Y.Doc();
    sync(a, b);
    expect(deleteMessage(a, 'm1')).toBe(true);
    patchAlternative(b, 'y', { text: 'two, edited' });
    sync(a, b);
    expect(readMessages(a)).toEqual(readMessages(b));
    expect(readMessages(a).map((m) => m.alternatives[0]!.text)).toEqual(['two, edited']);
    expect(deleteMessage(a, 'nope')).toBe(false);
  });
});
