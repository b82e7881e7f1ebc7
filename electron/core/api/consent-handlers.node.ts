/** `consent.*`: the optional sharings and the user's choice for each (docs/privacy.md "Consent"). */
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { consentCommands } from '../../../shared/api/privacy.std.ts';
import { listConsents, setConsent } from '../docs/consent-doc.node.ts';
import type { CoreState } from './state.node.ts';

/** `thisDeviceId`: this device's sync id, or null while sync is off here (asked only when a choice is made). */
export function consentHandlers(state: CoreState, thisDeviceId: () => Promise<string | null>): Handlers<typeof consentCommands> {
  return {
    'consent.list': async () => listConsents(state.requireSession().systemDoc('settings').doc),
    'consent.set': async ({ name, granted }) => {
      // Asked first: the session is taken after the wait, so a lock meanwhile is refused rather than written to.
      const deviceId = await thisDeviceId();
      const s = state.requireSession();
      return setConsent(s.systemDoc('settings').doc, name, granted, s.now(), deviceId);
    },
  };
}
