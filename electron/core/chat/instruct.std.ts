/**
 * Instruct formatting for text-completion backends (llama.cpp server, KoboldCpp, text-generation-webui, Ollama,
 * LM Studio through `/v1/completions`): the chat message list buildPrompt assembled becomes one prompt string in the
 * model's own turn format, plus the stop strings that end its turn. It works on the finished message list only, so
 * whatever goes into that list (lore, author's note, history) is formatted the same way.
 *
 * Semantics follow SillyTavern 1.12 (public/scripts/instruct-mode.js: formatInstructModeChat,
 * formatInstructModePrompt, getInstructStoppingSequences; power-user.js renderStoryString). docs/prompt.md
 * "Text completion" says where we differ.
 */
import type { ChatPromptMessage, PromptPart } from './prompt.std.ts';

/** SillyTavern's instruct template fields (default/content/presets/instruct/*.json), the ones we use. */
export interface InstructTemplate {
  name: string;
  input_sequence: string;
  input_suffix: string;
  output_sequence: string;
  output_suffix: string;
  system_sequence: string;
  system_suffix: string;
  first_output_sequence: string;
  last_output_sequence: string;
  stop_sequence: string;
  system_sequence_prefix: string;
  system_sequence_suffix: string;
  wrap: boolean;
  macro: boolean;
  names_behavior: 'none' | 'force' | 'always';
  system_same_as_user: boolean;
  user_alignment_message: string;
  /** A regular expression over the model name that selects this template (SillyTavern's auto-select). */
  activation_regex: string;
}

/** SillyTavern's context template (default/content/presets/context/*.json), the fields we use. */
export interface ContextTemplate {
  name: string;
  /** Only the text around its placeholders is used: the sections inside are Mindstage's own (docs/prompt.md). */
  story_string: string;
  example_separator: string;
  chat_start: string;
  use_stop_strings: boolean;
}

export interface InstructOptions {
  template: InstructTemplate;
  context?: ContextTemplate;
  /** Index for index with the messages (BuiltPrompt.parts). */
  parts: PromptPart[];
  userName: string;
  /** The character who speaks next. */
  charName: string;
  group: boolean;
  /** Who the model writes as: the character (a reply) or the user (impersonate). */
  writeAs?: 'character' | 'user';
  /** Stop strings of the preset, kept after the template's own. */
  extraStop?: string[];
}

export interface InstructPrompt {
  prompt: string;
  stop: string[];
  /** The prompt in pieces, each labelled, for the inspector; they join to `prompt`. */
  pieces: { part: PromptPart | 'alignment' | 'chat start' | 'reply start'; role: ChatPromptMessage['role']; text: string }[];
}

const names = (text: string, name: string, o: Pick<InstructOptions, 'userName' | 'charName'>) =>
  text.replace(/\{\{name\}\}/gi, name).replace(/\{\{user\}\}/gi, o.userName).replace(/\{\{char\}\}/gi, o.charName);

/** What a story string puts before and after its sections: the text outside its first and last `{{…}}`. */
export function storyFrame(storyString: string): { before: string; after: string } {
  const first = storyString.indexOf('{{');
  const last = storyString.lastIndexOf('}}');
  if (first < 0 || last < 0) return { before: '', after: '' };
  return { before: storyString.slice(0, first), after: storyString.slice(last + 2) };
}

export function formatInstruct(messages: ChatPromptMessage[], o: InstructOptions): InstructPrompt {
  const t = o.template;
  const sep = t.wrap ? '\n' : '';
  const sub = (text: string, name: string) => (t.macro ? names(text, name, o) : text);
  const pieces: InstructPrompt['pieces'] = [];

  const turn = (role: 'system' | 'user' | 'assistant', content: string, opts: { first?: boolean; name?: string } = {}) => {
    const [seq, suffix] =
      role === 'user' ? [t.input_sequence, t.input_suffix]
      : role === 'assistant' ? [(opts.first && t.first_output_sequence) || t.output_sequence, t.output_suffix]
      // Models without a system role in the chat (Gemma, Mistral) get system turns as user turns.
      : t.system_same_as_user ? [t.input_sequence, t.input_suffix]
      : [t.system_sequence, t.system_suffix];
    const who = role === 'user' ? o.userName : role === 'assistant' ? o.charName : 'System';
    const prefix = sub(seq, who);
    let end = sub(suffix, who);
    if (!end && t.wrap) end = '\n';
    const body = opts.name ? `${opts.name}: ${content}` : content;
    return [prefix, body + end].filter((x) => x).join(sep);
  };

  // Names before messages: "always" for user and character turns, "force" only in group chats (SillyTavern).
  const withNames = t.names_behavior === 'always' || (t.names_behavior === 'force' && o.group);
  const contextStart = o.context?.chat_start ? `${names(o.context.chat_start, o.charName, o)}\n` : '';
  const exampleHeading = o.context?.example_separator ? `${names(o.context.example_separator, o.charName, o)}\n` : '';

  let firstHistory = true;
  let firstAssistant = true;
  messages.forEach((m, i) => {
    const part = o.parts[i] ?? 'history';
    if (part === 'main') {
      // The story string: the context template's frame around the main system message; without a context
      // template, the instruct template's system turn (SillyTavern's bundled context templates do the same).
      let text = m.content;
      if (t.system_sequence_prefix) text = `${t.system_sequence_prefix.replace(/\{\{name\}\}/gi, 'System')}${sep}${text}`;
      if (t.system_sequence_suffix) text = `${text}${sep}${t.system_sequence_suffix}`;
      if (o.context) {
        const frame = storyFrame(o.context.story_string);
        text = `${names(frame.before, o.charName, o)}${text.trim()}${names(frame.after, o.charName, o)}`;
        if (!text.endsWith('\n') && t.wrap) text += '\n';
      } else text = turn('system', text);
      pieces.push({ part, role: m.role, text });
      return;
    }
    if (part === 'examples') {
      const text = exampleHeading ? m.content.replace(/\[Example Chat\]\n/g, exampleHeading) : m.content;
      pieces.push({ part, role: m.role, text: turn('system', text) });
      return;
    }
    if (part === 'partial reply') {
      // Continue: the reply is left open after its sequence so the model extends it.
      const seq = sub(t.last_output_sequence || t.output_sequence, o.charName);
      const name = withNames ? `${o.charName}: ` : '';
      pieces.push({ part, role: m.role, text: [seq, name + m.content].filter((x) => x).join(sep) });
      return;
    }
    if (part === 'history' && firstHistory) {
      firstHistory = false;
      if (contextStart) pieces.push({ part: 'chat start', role: 'system', text: contextStart });
      if (m.role === 'assistant' && t.user_alignment_message) {
        pieces.push({ part: 'alignment', role: 'user', text: turn('user', sub(t.user_alignment_message, o.userName)) });
      }
    }
    if (m.role === 'assistant') {
      pieces.push({ part, role: m.role, text: turn('assistant', m.content, { first: firstAssistant, ...(withNames ? { name: o.charName } : {}) }) });
      firstAssistant = false;
      return;
    }
    // In group chats user messages already carry "Name: " (buildPrompt), as do other members' messages.
    const name = m.role === 'user' && withNames && !o.group ? o.userName : undefined;
    pieces.push({ part, role: m.role, text: turn(m.role, m.content, name ? { name } : {}) });
  });

  if (!pieces.some((p) => p.part === 'partial reply')) {
    const asUser = o.writeAs === 'user';
    const who = asUser ? o.userName : o.charName;
    const seq = sub(asUser ? t.input_sequence : t.last_output_sequence || t.output_sequence, who);
    // SillyTavern's Mistral fix: a last output sequence without the trailing space of the normal one gets it back.
    const filler = !asUser && withNames && t.last_output_sequence && /\s$/.test(t.output_sequence) && !/\s$/.test(t.last_output_sequence) ? t.output_sequence.slice(-1) : '';
    const text = withNames ? `${seq}${sep}${filler}${who}:` : `${seq}${sep}`;
    pieces.push({ part: 'reply start', role: 'assistant', text: t.wrap && withNames ? text.trimEnd() : text });
  }

  return { prompt: pieces.map((p) => p.text).join(''), stop: stopStrings(o), pieces };
}

/** The template's sequences as stop strings (getInstructStoppingSequences), then `\nUser:`, then the preset's. */
export function stopStrings(o: Pick<InstructOptions, 'template' | 'context' | 'userName' | 'charName' | 'extraStop' | 'writeAs'>): string[] {
  const t = o.template;
  const out: string[] = [];
  const lines = [
    t.stop_sequence,
    names(t.input_sequence, o.userName, o),
    names(t.output_sequence, o.charName, o),
    names(t.first_output_sequence, o.charName, o),
    names(t.last_output_sequence, o.charName, o),
    names(t.system_sequence, 'System', o),
  ].join('\n').split('\n');
  for (const line of lines) if (line.trim()) out.push(t.wrap ? `\n${line}` : line);
  if (o.context?.use_stop_strings) {
    if (o.context.chat_start) out.push(`\n${names(o.context.chat_start, o.charName, o)}`);
    if (o.context.example_separator) out.push(`\n${names(o.context.example_separator, o.charName, o)}`);
  }
  // The model must not go on to write the other side's turn.
  out.push(o.writeAs === 'user' ? `\n${o.charName}:` : `\n${o.userName}:`);
  out.push(...(o.extraStop ?? []));
  return [...new Set(out)];
}

/** The template a model name selects: the first whose activation_regex matches, else the first of the list. */
export function detectTemplate(model: string, templates: InstructTemplate[]): InstructTemplate {
  for (const t of templates) {
    if (!t.activation_regex) continue;
    try {
      if (new RegExp(t.activation_regex, 'i').test(model)) return t;
    } catch {
      // An imported template with a bad expression simply never auto-selects.
    }
  }
  return templates[0]!;
}
