/** The consent names and their sentences, without zod, so the command line can list them without loading it. */
/**
 * Every optional sharing, each off until the user turns it on (docs/privacy.md "Consent"). `does` is the one
 * sentence shown beside the switch and by `consent list`.
 */
export const consents = {
  'portraits-in-chat': {
    title: 'Show portraits to the AI',
    does: 'Sends the speaking character\'s portrait image with each chat request, so a model that can see images knows how they look.',
  },
  'network-voices': {
    title: 'Online voices for reading aloud',
    does: 'Offers the system\'s online voices for reading aloud; the text read is sent to the company that provides that voice.',
  },
} as const;
export type ConsentName = keyof typeof consents;
export const consentNames = Object.keys(consents) as ConsentName[];
