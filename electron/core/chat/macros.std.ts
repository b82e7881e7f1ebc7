/**
 * Card macros, as SillyTavern and the Character Card V2/V3 specs define them: {{char}} and {{user}}
 * (any case, optional spaces inside the braces) and the legacy V1 forms <BOT> and <USER>. {{original}} is only
 * meaningful in system_prompt and post_history_instructions and is handled by replaceOriginal.
 */

export interface MacroNames {
  /** The character the text belongs to (in a group chat, that character, not necessarily the speaker). */
  char: string;
  user: string;
}

const macro = /\{\{\s*(char|user)\s*\}\}|<(bot|user)>/gi;

export function applyMacros(text: string, names: MacroNames): string {
  // Most chat messages contain neither "{{" nor "<": skip the regex machinery for them.
  if (!text.includes('{{') && !text.includes('<')) return text;
  return text.replace(macro, (_m, curly: string | undefined, legacy: string | undefined) => {
    const which = (curly ?? legacy ?? '').toLowerCase();
    return which === 'user' ? names.user : names.char;
  });
}

const original = /\{\{\s*original\s*\}\}/gi;

/**
 * A card's system_prompt / post_history_instructions replace the app's default; {{original}} inside them stands
 * for that default (V2 spec). Empty card text means "use the default".
 */
export function replaceOriginal(cardText: string, defaultText: string): string {
  if (cardText.trim() === '') return defaultText;
  return cardText.replace(original, () => defaultText);
}
