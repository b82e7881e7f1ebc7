/**
 * Regex scripts in SillyTavern's format (public/scripts/extensions/regex/engine.js and its editor's fields), as
 * cards carry them in `data.extensions.regex_scripts` and as SillyTavern exports them one per file. Reading is
 * lenient about what SillyTavern itself tolerates (missing fields, null depths, boolean substituteRegex from older
 * versions) and strict about sizes, since a card is a stranger's file.
 */
import { z } from 'zod';

/** SillyTavern's `regex_placement`; 0 (Markdown display) and 4 (sendAs) are deprecated there and ignored here. */
export const regexPlacement = { userInput: 1, aiOutput: 2, slashCommand: 3, worldInfo: 5, reasoning: 6 } as const;
export type RegexPlacement = (typeof regexPlacement)[keyof typeof regexPlacement];

/** SillyTavern writes null, and its editor an empty string, for "no limit". */
const depth = z
  .union([z.number().int().min(-1).max(100_000), z.null(), z.literal('')])
  .optional()
  .transform((v) => (v === '' || v === undefined ? null : v));

export const RegexScript = z.object({
  id: z.string().max(200).default(''),
  scriptName: z.string().max(500).default(''),
  findRegex: z.string().max(20_000, 'the pattern is too long'),
  replaceString: z.string().max(500_000).default(''),
  trimStrings: z.array(z.string().max(10_000)).max(100).default([]),
  placement: z.array(z.number().int().min(0).max(10)).max(10).default([]),
  disabled: z.boolean().default(false),
  markdownOnly: z.boolean().default(false),
  promptOnly: z.boolean().default(false),
  runOnEdit: z.boolean().default(true),
  /** 0: the pattern as written; 1: macros substituted; 2: macros substituted with their values escaped. */
  substituteRegex: z
    .union([z.literal(0), z.literal(1), z.literal(2), z.boolean()])
    .optional()
    .transform((v): 0 | 1 | 2 => (v === true ? 1 : v === false || v === undefined ? 0 : v)),
  minDepth: depth,
  maxDepth: depth,
});
export type RegexScript = z.infer<typeof RegexScript>;

/** A SillyTavern export is one script per file; cards and our own export hold an array. */
export const RegexScriptFile = z.union([RegexScript, z.array(RegexScript).max(1000)]);

export function parseRegexScripts(value: unknown): { scripts: RegexScript[]; rejected: number } {
  const list = Array.isArray(value) ? value : [value];
  const scripts: RegexScript[] = [];
  let rejected = 0;
  for (const item of list.slice(0, 1000)) {
    const r = RegexScript.safeParse(item);
    if (r.success) scripts.push(r.data);
    else rejected++;
  }
  return { scripts, rejected };
}
