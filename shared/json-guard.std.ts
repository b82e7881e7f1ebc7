/**
 * Guards for JSON from outside (character cards, imports): nesting deeper than 64 levels and keys that name
 * JavaScript's prototype machinery are refused before anything walks or spreads the value. Deep nesting would
 * otherwise end in a stack overflow somewhere downstream (an "internal" error instead of a clear refusal), and
 * `__proto__`/`constructor`/`prototype` keys are never part of a card or an export but are how prototype
 * pollution starts once such an object is merged into another.
 */
export const MAX_JSON_DEPTH = 64;
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Depth of the deepest array/object in JSON text, scanned without parsing (strings and escapes skipped), so a
 * 200,000-deep document is refused in one linear pass before JSON.parse builds it. Stops early past `limit`.
 */
export function jsonTextDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** The first prototype key in a parsed value (walked iteratively), or null. */
export function prototypeKey(value: unknown): string | null {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    for (const k of Object.keys(v)) {
      if (PROTOTYPE_KEYS.has(k)) return k;
      stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return null;
}

/** Why this JSON text must be refused (a sentence naming `what`), or null when it may be parsed and used. */
export function hostileJsonText(text: string, what: string): string | null {
  if (jsonTextDepth(text) > MAX_JSON_DEPTH) return `${what} nests deeper than ${MAX_JSON_DEPTH} levels, which no real file does; it was refused.`;
  return null;
}

/** Why this parsed JSON value must be refused, or null. */
export function hostileJsonValue(value: unknown, what: string): string | null {
  const key = prototypeKey(value);
  return key === null ? null : `${what} contains a field named "${key}", which is not allowed (it could tamper with the app's objects); it was refused.`;
}
