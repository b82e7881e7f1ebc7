/**
 * Regex scripts on the prompt side (shared/regex), as prompt building's text hook (`PromptInput.transformText`):
 * history messages by placement and depth (0 = the newest message), lore entries as World Info. Display-side
 * scripts run in the renderer; the stored text never changes (docs/decisions.md, regex scripts).
 */
import { applyRegexScripts, nameMacros } from '../../../shared/regex/engine.std.ts';
import { regexPlacement, type RegexScript } from '../../../shared/regex/script.std.ts';
import type { PromptTextPlace } from './prompt.std.ts';

export function regexTransform(scripts: readonly RegexScript[], names: { char: string; user: string }): ((text: string, place: PromptTextPlace) => string) | undefined {
  if (scripts.length === 0) return undefined;
  const macros = nameMacros(names);
  return (text, place) =>
    applyRegexScripts(text, scripts, {
      placement: place.placement === 'user_input' ? regexPlacement.userInput : place.placement === 'ai_output' ? regexPlacement.aiOutput : regexPlacement.worldInfo,
      mode: 'prompt',
      // A lore entry's insertion depth is not a message depth: SillyTavern runs World Info scripts without one.
      ...(place.placement !== 'world_info' && place.depth !== undefined ? { depth: place.depth } : {}),
      macros,
    });
}
