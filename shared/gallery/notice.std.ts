/**
 * What the app says before anything is published, in the same words on every screen and in the CLI: what becomes
 * public, that anyone can read and copy it, and what unpublishing can and cannot undo.
 */
export function publishNotice(a: { name: string; kind: 'character' | 'scenario'; mature: boolean; relay: string }): string[] {
  const what =
    a.kind === 'character'
      ? `“${a.name}” (every field of the character card, its portrait and its lorebook)`
      : `“${a.name}” (the scenario's title, setting, opening messages and lorebook; not its characters or persona)`;
  return [
    `Publishing makes ${what} public on ${a.relay}, unencrypted.`,
    'Anyone can read, download and copy it. Nothing else from your vault is sent: no conversations, no other records, nothing that identifies your account.',
    'Unpublishing removes it from that relay at once, but not copies others have already made.',
    ...(a.mature ? ['It will be marked 18+ and hidden from people who have not said they are 18 or older.'] : []),
  ];
}
