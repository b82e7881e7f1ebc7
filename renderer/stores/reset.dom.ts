/**
 * When the vault locks, every store drops the plaintext it holds. Stores register a reset here so the session
 * store can clear them all without importing each one (and without import cycles).
 */
const resets = new Set<() => void>();

export function onPlaintextDrop(reset: () => void): void {
  resets.add(reset);
}

export function dropAllPlaintext(): void {
  for (const reset of resets) reset();
}
