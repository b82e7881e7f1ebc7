/**
 * Regex scripts on the prompt side (shared/regex), as prompt building's text hook (`PromptInput.transformText`):
 * history messages by placement and depth (0 = the newest message), lore entries as World Info. Display-side
 * scripts run in the renderer; the stored text never changes (docs/decisions.md, regex scripts).
 */
import { nameMacros, runScript, scriptApplies, type RegexRun } from '../../../shared/regex/engine.std.ts';
import { regexPlacement, type RegexScript } from '../../../shared/regex/script.std.ts';
import type { PromptTextPlace } from './prompt.std.ts';

/**
 * Results by (scripts in force, names, which of them apply) and then by text. Every prompt build runs the scripts
 * over each history message it sends, and history barely changes between two builds: without this, one
 * case-insensitive script over a long chat cost ~37 ms per build (RE2 has no literal prefilter for `i`). Keyed by
 * which scripts apply rather than by depth, so a message keeps its entry as newer messages push it deeper. Holds
 * decrypted text: cleared when the vault locks (chat engine), and whole when it grows past its bound.
 */
const results = new Map<string, Map<string, Map<string, string>>>();
let held = 0;
const MAX_HELD = 50_000;

export function clearRegexCache(): void {
  results.clear();
  held = 0;
}

export function regexTransform(scripts: readonly RegexScript[], names: { char: string; user: string }): ((text: string, place: PromptTextPlace) => string) | undefined {
  if (scripts.length === 0) return undefined;
  const macros = nameMacros(names);
  const signature = JSON.stringify([scripts, names.char, names.user]);
  // Looked up once per build: the signature is long (whole scripts), the per-message key is not.
  let bySet = results.get(signature);
  const currentSet = () => {
    // After a clear (lock, or the bound), start again under the same signature.
    if (!bySet || results.get(signature) !== bySet) results.set(signature, (bySet = results.get(signature) ?? new Map()));
    return bySet;
  };
  return (text, place) => {
    const run: Omit<RegexRun, 'macros'> = {
      placement: place.placement === 'user_input' ? regexPlacement.userInput : place.placement === 'ai_output' ? regexPlacement.aiOutput : regexPlacement.worldInfo,
      mode: 'prompt',
      // A lore entry's insertion depth is not a message depth: SillyTavern runs World Info scripts without one.
      ...(place.placement !== 'world_info' && place.depth !== undefined ? { depth: place.depth } : {}),
    };
    const applying = scripts.filter((s) => scriptApplies(s, run));
    if (applying.length === 0 || !text) return text;
    const key = applying.length === scripts.length ? '*' : applying.map((s) => scripts.indexOf(s)).join(',');
    const hit = currentSet().get(key)?.get(text);
    if (hit !== undefined) return hit;
    let out = text;
    for (const s of applying) out = runScript(s, out, macros);
    if (held >= MAX_HELD) clearRegexCache();
    const set = currentSet();
    let byText = set.get(key);
    if (!byText) set.set(key, (byText = new Map()));
    byText.set(text, out);
    held++;
    return out;
  };
}
