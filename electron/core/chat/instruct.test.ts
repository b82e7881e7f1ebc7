import { describe, expect, it } from 'vitest';
import { builtinContextTemplates, builtinInstructTemplates } from './instruct-templates.std.ts';
import { detectTemplate, formatInstruct, storyFrame, type InstructOptions } from './instruct.std.ts';
import type { ChatPromptMessage, PromptPart } from './prompt.std.ts';

const instruct = (name: string) => builtinInstructTemplates.find((t) => t.name === name)!;
const context = (name: string) => builtinContextTemplates.find((t) => t.name === name)!;

const messages: ChatPromptMessage[] = [
  { role: 'system', content: 'Write Mira\'s next reply.\n\nMira keeps the lighthouse.' },
  { role: 'assistant', content: 'The lamp is lit.' },
  { role: 'user', content: 'Is the sea calm?' },
  { role: 'system', content: 'Stay in character.' },
];
const parts: PromptPart[] = ['main', 'history', 'history', 'post-history'];
const opts = (name: string, extra: Partial<InstructOptions> = {}): InstructOptions => ({
  template: instruct(name),
  context: context(name),
  parts,
  userName: 'Ann',
  charName: 'Mira',
  group: false,
  ...extra,
});

describe('instruct formatting (SillyTavern 1.12 semantics)', () => {
  it('ChatML: story string in its system turn, names before each turn, the reply opened with the name', () => {
    const r = formatInstruct(messages, opts('ChatML'));
    expect(r.prompt).toBe(
      '<|im_start|>system\nWrite Mira\'s next reply.\n\nMira keeps the lighthouse.<|im_end|>\n' +
        '<|im_start|>assistant\nMira: The lamp is lit.<|im_end|>\n' +
        '<|im_start|>user\nAnn: Is the sea calm?<|im_end|>\n' +
        '<|im_start|>system\nStay in character.<|im_end|>\n' +
        '<|im_start|>assistant\nMira:',
    );
    expect(r.pieces.map((p) => p.part)).toEqual(['main', 'history', 'history', 'post-history', 'reply start']);
    expect(r.pieces.map((p) => p.text).join('')).toBe(r.prompt);
    expect(r.stop).toEqual(['\n<|im_end|>', '\n<|im_start|>user', '\n<|im_start|>assistant', '\n<|im_start|>system', '\nAnn:']);
  });

  it('Llama 3: header sequences without wrapping, <|eot_id|> closing each turn and as the stop string', () => {
    const r = formatInstruct(messages, opts('Llama 3 Instruct', { extraStop: ['###'] }));
    expect(r.prompt).toBe(
      '<|start_header_id|>system<|end_header_id|>\n\nWrite Mira\'s next reply.\n\nMira keeps the lighthouse.<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nMira: The lamp is lit.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nAnn: Is the sea calm?<|eot_id|>' +
        // system_same_as_user: system turns after the story string go as user turns (SillyTavern).
        '<|start_header_id|>user<|end_header_id|>\n\nStay in character.<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nMira:',
    );
    expect(r.stop[0]).toBe('<|eot_id|>');
    expect(r.stop.at(-1)).toBe('###');
  });

  it('Mistral: the alignment message before a chat that opens with the character, and the name filler after [/INST]', () => {
    const r = formatInstruct(messages, opts('Mistral V2 & V3'));
    expect(r.prompt.startsWith('[INST] Write Mira\'s next reply.\n\nMira keeps the lighthouse.[/INST] Understood.</s>')).toBe(true);
    expect(r.pieces[1]).toMatchObject({ part: 'alignment', text: '[INST] Let\'s get started. Please respond based on the information and instructions provided above.' });
    expect(r.prompt).toContain('[/INST] Mira: The lamp is lit.</s>[INST] Ann: Is the sea calm?');
    expect(r.prompt.endsWith('[/INST] Mira:')).toBe(true);
  });

  it('Alpaca: names only in group chats ("force"), blank-line suffixes; group user messages keep their own prefix', () => {
    const solo = formatInstruct(messages, opts('Alpaca'));
    expect(solo.prompt).toContain('### Response:\nThe lamp is lit.\n\n### Instruction:\nIs the sea calm?\n\n');
    expect(solo.prompt.endsWith('### Response:\n')).toBe(true);
    const group = formatInstruct([messages[0]!, { role: 'user', content: 'Ann: Hello all' }], { ...opts('Alpaca', { group: true }), parts: ['main', 'history'] });
    expect(group.prompt).toContain('### Instruction:\nAnn: Hello all\n\n');
    expect(group.prompt.endsWith('### Response:\nMira:')).toBe(true);
  });

  it('Gemma 2 and Vicuna 1.1 format their own turns', () => {
    expect(formatInstruct(messages, opts('Gemma 2')).prompt).toContain('<start_of_turn>model\nThe lamp is lit.<end_of_turn>\n<start_of_turn>user\nIs the sea calm?<end_of_turn>\n');
    const vicuna = formatInstruct(messages, { ...opts('Vicuna 1.1'), context: context('Default') });
    expect(vicuna.prompt).toContain('\nASSISTANT: The lamp is lit.</s>\nUSER: Is the sea calm?');
    expect(vicuna.prompt.endsWith('\nASSISTANT: ')).toBe(true);
  });

  it('impersonate ends on the user\'s turn and stops at the character\'s name; continue leaves the reply open', () => {
    const imp = formatInstruct(messages, opts('ChatML', { writeAs: 'user' }));
    expect(imp.prompt.endsWith('<|im_start|>user\nAnn:')).toBe(true);
    expect(imp.stop).toContain('\nMira:');
    const cont = formatInstruct([...messages.slice(0, 3), { role: 'assistant', content: 'The sea is' }], { ...opts('ChatML'), parts: ['main', 'history', 'history', 'partial reply'] });
    expect(cont.prompt.endsWith('<|im_start|>assistant\nMira: The sea is')).toBe(true);
  });

  it('a context template\'s chat start and example separator are placed and become stop strings when it says so', () => {
    const ctx = { ...context('Default'), use_stop_strings: true };
    const withExamples: ChatPromptMessage[] = [messages[0]!, { role: 'system', content: '[Example Chat]\nAnn: Hi\nMira: Hello.' }, ...messages.slice(1)];
    const r = formatInstruct(withExamples, { ...opts('ChatML'), context: ctx, parts: ['main', 'examples', ...parts.slice(1)] });
    expect(r.prompt).toContain('<|im_start|>system\n***\nAnn: Hi\nMira: Hello.<|im_end|>\n***\n<|im_start|>assistant');
    expect(r.stop).toEqual(expect.arrayContaining(['\n***']));
  });

  it('picks the template from the model name, ChatML when nothing matches', () => {
    const pick = (model: string) => detectTemplate(model, builtinInstructTemplates).name;
    expect(pick('Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf')).toBe('Llama 3 Instruct');
    expect(pick('llama3.2')).toBe('Llama 3 Instruct');
    expect(pick('mistral-7b-instruct-v0.3')).toBe('Mistral V2 & V3');
    expect(pick('gemma-2-9b-it')).toBe('Gemma 2');
    expect(pick('vicuna-13b-v1.5')).toBe('Vicuna 1.1');
    expect(pick('qwen2.5-7b-instruct')).toBe('ChatML');
    expect(storyFrame(context('Mistral V2 & V3').story_string)).toEqual({ before: '[INST] ', after: '[/INST] Understood.</s>' });
  });
});
