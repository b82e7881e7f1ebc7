/** What a wipe did to the vault's public cards, in the words the app and the command line both use. */
export function publicCardsText(c: { withdrawn: number; failed: number }): string {
  const n = (k: number) => `${k} card${k === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (c.withdrawn) parts.push(`Public gallery: ${n(c.withdrawn)} you had published ${c.withdrawn === 1 ? 'was' : 'were'} withdrawn first.`);
  if (c.failed)
    parts.push(
      `${n(c.failed)} you had published could not be withdrawn (the gallery could not be reached) and ${c.failed === 1 ? 'stays' : 'stay'} public: the key that could withdraw ${c.failed === 1 ? 'it' : 'them'} was wiped with the vault.`,
    );
  return parts.join(' ');
}
