/**
 * Token counting for prompt budgets. OpenAI model families get their real BPE encoding (gpt-tokenizer, pure JS);
 * every other model gets a documented estimate (docs/prompt.md). Counts are cached per string so rebuilding the
 * prompt of a long conversation only tokenizes what is new; the cache is keyed by a 53-bit hash of the text, so it
 * never holds plaintext.
 */
import * as cl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as o200k from 'gpt-tokenizer/encoding/o200k_base';

export type TokenizerName = 'o200k_base' | 'cl100k_base' | 'llama3' | 'mistral' | 'estimate';
type Encoding = Exclude<TokenizerName, 'estimate'>;

/**
 * Chat framing per message (`<|im_start|>role\n … <|im_end|>\n`) and the reply primer, as in OpenAI's
 * "How to count tokens" guide for gpt-3.5/gpt-4/gpt-4o: 3 tokens per message, 3 for the reply.
 */
export const tokensPerMessage = 3;
export const tokensPerReply = 3;

/** Characters per token assumed for ASCII text when no tokenizer is known (conservative for English prose). */
export const estimateCharsPerToken = 3.5;

/**
 * The encoding a model uses, from its name. Provider prefixes (`openai/gpt-4o` on OpenRouter) and fine-tune
 * prefixes (`ft:gpt-4o-mini:org::id`) are ignored.
 */
export function tokenizerFor(model: string): TokenizerName {
  const family = tokenizerFamily(model);
  return family === 'estimate' || encoders[family] ? family : 'estimate';
}

/**
 * The encoding a model's family uses, loaded or not. Llama 3 and Mistral's are large (Llama 3's vocabulary is
 * ~13 MB of JS and takes ~0.5 s to load), so they load on first use: `await loadTokenizerFor(model)` before building
 * a prompt; until then `tokenizerFor` says `estimate`, so every count in one build uses one tokenizer.
 */
export function tokenizerFamily(model: string): TokenizerName {
  let m = model.trim().toLowerCase();
  if (m.startsWith('ft:')) m = m.slice(3);
  const slash = m.lastIndexOf('/');
  if (slash >= 0) m = m.slice(slash + 1);
  if (/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o[134])(?![a-z0-9])/.test(m)) return 'o200k_base';
  if (/^(gpt-4|gpt-3\.5|gpt-35)(?![a-z0-9.])/.test(m)) return 'cl100k_base';
  // Llama 3.x (not Llama 2, whose vocabulary differs) and its instruct fine-tunes named after it.
  if (/(^|[^a-z0-9])(meta-)?llama[-_ .]?3/.test(m)) return 'llama3';
  // Mistral 7B and Mixtral 8x7B share the 32k SentencePiece vocabulary; Nemo, Small 3 and Large use another.
  if (/(^|[^a-z0-9])(mixtral-8x7b|mixtral(?!-8x22b)|mistral(?!-(nemo|small|large|medium|saba)))/.test(m)) return 'mistral';
  return 'estimate';
}

/** Tokens assumed per non-ASCII UTF-16 unit (CJK, Cyrillic, accents, emoji halves). */
export const estimateNonAsciiTokens = 1.5;

/**
 * ASCII characters / 3.5, plus 1.5 tokens per non-ASCII UTF-16 unit, rounded up. Measured against cl100k_base
 * (the least efficient of the current large vocabularies), Chinese, Japanese and Korean take 1.1–1.35 tokens per
 * character and English ~4.3 characters per token, so the estimate errs on the high (safe) side for both.
 */
export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / estimateCharsPerToken + other * estimateNonAsciiTokens);
}

// Card and chat text may contain "<|endoftext|>" and friends: count them as the plain text they are (the
// provider's own tokenizer does the same for message content) instead of throwing.
const asPlainText = { disallowedSpecial: new Set<string>() };

const encoders: Partial<Record<Encoding, (text: string) => number>> = {
  o200k_base: (text) => o200k.countTokens(text, asPlainText),
  cl100k_base: (text) => cl100k.countTokens(text, asPlainText),
};

/**
 * Loads the tokenizer of `model`'s family if it is not loaded yet. Special-token strings in the text
 * (`<|eot_id|>`, `[INST]`) count as the one token each a local server makes of them in an instruct prompt.
 */
export async function loadTokenizerFor(model: string): Promise<TokenizerName> {
  const family = tokenizerFamily(model);
  if (family === 'llama3' && !encoders.llama3) {
    const { default: llama3 } = await import('llama3-tokenizer-js');
    encoders.llama3 = (text) => llama3.encode(text, { bos: false, eos: false }).length;
  }
  if (family === 'mistral' && !encoders.mistral) {
    const { default: mistral } = await import('mistral-tokenizer-js');
    encoders.mistral = (text) => mistral.encode(text, false, false).length;
  }
  return family;
}

/** cyrb53 (public domain): a fast 53-bit string hash, seeded with the length to make collisions rarer still. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef ^ text.length;
  let h2 = 0x41c6ce57 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Entries per encoding: a few long conversations' worth of messages (~1 MB of numbers at most). */
export const tokenCacheSize = 50_000;
/** Shorter texts are cheaper to tokenize than to hash and look up. */
const minCachedLength = 64;

const caches = new Map<TokenizerName, Map<number, number>>();

function cached(name: Encoding, text: string): number {
  const encode = encoders[name];
  // A bug, not bad input: callers ask tokenizerFor, which names only loaded encodings.
  if (!encode) throw new Error(`the ${name} tokenizer is not loaded`);
  if (text.length < minCachedLength) return encode(text);
  let cache = caches.get(name);
  if (!cache) caches.set(name, (cache = new Map()));
  const key = hash53(text);
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Least recently used goes first: a hit moves to the end of the Map's insertion order.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const n = encode(text);
  cache.set(key, n);
  if (cache.size > tokenCacheSize) cache.delete(cache.keys().next().value as number);
  return n;
}

/** Tokens in `text` (content only, without chat framing) for `model`. */
export function countTokens(text: string, model: string): number {
  return countWith(tokenizerFor(model), text);
}

export function countWith(name: TokenizerName, text: string): number {
  if (text.length === 0) return 0;
  return name === 'estimate' ? estimateTokens(text) : cached(name, text);
}

/** Drops cached counts and the tokenizer's own merge caches (which hold word pieces), e.g. when the vault locks. */
export function clearTokenCache(): void {
  caches.clear();
  o200k.clearMergeCache();
  cl100k.clearMergeCache();
}
