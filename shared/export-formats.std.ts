/**
 * The formats one conversation exports to. Apart from the command schemas so the CLI can list them in `--help`
 * without loading zod and the domain schemas (docs/decisions.md #20).
 */
export const exportFormats = ['sillytavern', 'markdown', 'text'] as const;
export type ExportFormat = (typeof exportFormats)[number];
