/** `consent.*`: the optional sharings and the user's choice for each (docs/privacy.md "Consent"). */
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { consentCommands } from '../../../shared/api/privacy.std.ts';
import { listConsents, setConsent } from '../docs/consent-doc.node.ts';
import type { CoreState } from './state.node.ts';

export function consentHandlers(state: CoreState): Handlers<typeof consentCommands> {
  return {
    'consent.list': async () => listConsents(state.requireSession().systemDoc('settings').doc),
    'consent.set': async ({ name, granted }) => {
      const s = state.requireSession();
      return setConsent(s.systemDoc('settings').doc, name, granted, s.now());
    },
  };
}
