/** The macro engine lives in shared/ (the renderer shows texts with it too); the prompt builder imports it here. */
export { applyMacros, replaceOriginal, hash32, seededRandom, rollDice, type MacroEnv, type MacroNames } from '../../../shared/macros.std.ts';
