import { describe, expect, it } from 'vitest';
import type { SyncStatusView } from '../../shared/api/sync.std.ts';
import { summarise } from './sync.dom.ts';

const base: SyncStatusView = { enabled: true, state: 'watching', outbox: 0, pending: 0, quarantined: 0, cursor: 5, problems: [] };

describe('the sync corner’s few words', () => {
  it('says synced only when connected with nothing waiting either way', () => {
    expect(summarise(base)).toEqual({ label: 'Synced', tone: 'ok' });
    expect(summarise({ ...base, outbox: 2 })).toEqual({ label: 'Syncing…', tone: 'busy' });
    expect(summarise({ ...base, pending: 1 })).toEqual({ label: 'Syncing…', tone: 'busy' });
    expect(summarise({ ...base, state: 'syncing' })).toEqual({ label: 'Syncing…', tone: 'busy' });
  });

  it('counts what waits while offline', () => {
    expect(summarise({ ...base, state: 'offline', outbox: 0, retryInMs: 3000 })).toEqual({ label: 'Offline', tone: 'warn' });
    expect(summarise({ ...base, state: 'offline', outbox: 1 })).toEqual({ label: 'Offline · 1 change waiting', tone: 'warn' });
    expect(summarise({ ...base, state: 'offline', outbox: 7, lastError: { code: 'network', message: 'x' } })).toEqual({ label: 'Offline · 7 changes waiting', tone: 'warn' });
  });

  it('calls refused changes, held-back changes and errors a problem, in plain words', () => {
    for (const s of [{ quarantined: 1 }, { withheld: 'The relay may be holding back changes.' }, { problems: [{ code: 'integrity' as const, message: 'x' }] }, { state: 'idle' as const, lastError: { code: 'auth', message: 'x' } }]) {
      expect(summarise({ ...base, ...s })).toEqual({ label: 'Sync problem', tone: 'warn' });
    }
  });

  it('names a removed or wiped device, and a paused sync', () => {
    expect(summarise({ ...base, state: 'removed' }).label).toBe('Removed from your account');
    expect(summarise({ ...base, state: 'wiped' }).label).toBe('Wiped');
    expect(summarise({ ...base, state: 'idle' })).toEqual({ label: 'Sync paused', tone: 'muted' });
  });
});
