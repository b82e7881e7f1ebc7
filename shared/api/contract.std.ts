/**
 * The shape of the one typed API. Each domain file (vault, records, chat, …) declares its commands as
 * `{ input: zod schema, output: type }`; `index.std.ts` merges them into `commands`. The core implements the
 * map once (`electron/core/api/handlers.node.ts`), and every transport is checked against it with `satisfies`.
 */
import type { z } from 'zod';
import { z as zod } from 'zod';
import type { ApiErrorShape, Result } from '../result.std.ts';

export interface CommandDef<I extends z.ZodType = z.ZodType, O = unknown> {
  input: I;
  /** Output is typed only: the core is trusted to return what it declares. */
  output: z.ZodType<O>;
}

/** Declares an output type without a runtime schema. */
export const returns = <T>(): z.ZodType<T> => zod.custom<T>(() => true);

export type CommandDefs = Record<string, CommandDef>;

export type InputOf<D extends CommandDef> = z.input<D['input']>;
export type ParsedInputOf<D extends CommandDef> = z.output<D['input']>;
export type OutputOf<D extends CommandDef> = D['output'] extends z.ZodType<infer O> ? O : never;

/** What the core implements: one async function per command, given validated input. */
export type Handlers<C extends CommandDefs> = {
  [K in keyof C]: (input: ParsedInputOf<C[K]>) => Promise<OutputOf<C[K]>>;
};

/** What every transport offers the renderer / CLI: raw input in, a Result out. */
export type Invoke<C extends CommandDefs> = <K extends keyof C & string>(
  command: K,
  input: InputOf<C[K]>,
) => Promise<Result<OutputOf<C[K]>, ApiErrorShape>>;
