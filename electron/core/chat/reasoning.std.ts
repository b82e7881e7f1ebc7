/**
 * Separates a reasoning model's thinking from its answer while it streams. Models served raw (DeepSeek-R1, QwQ on
 * llama.cpp, Ollama…) open their reply with `<think>…</think>`; the tags may arrive split across chunks, so the
 * splitter holds back only what could still be the start of a tag. Providers that send thinking as a separate
 * `reasoning_content` / `reasoning` delta need no splitting (provider-client.node.ts).
 */
const OPEN = '<think>';
const CLOSE = '</think>';

export interface Split {
  text: string;
  reasoning: string;
}

export class ThinkSplitter {
  /** 'gap': just after </think>, where the blank lines before the answer are dropped. */
  #state: 'start' | 'think' | 'gap' | 'text' = 'start';
  #buf = '';

  push(chunk: string): Split {
    if (this.#state === 'text') return { text: chunk, reasoning: '' };
    if (this.#state === 'gap') {
      const text = chunk.replace(/^\s+/, '');
      if (text !== '') this.#state = 'text';
      return { text, reasoning: '' };
    }
    this.#buf += chunk;
    if (this.#state === 'start') {
      const lead = this.#buf.trimStart();
      if (lead.startsWith(OPEN)) {
        this.#state = 'think';
        this.#buf = lead.slice(OPEN.length);
      } else if (OPEN.startsWith(lead)) {
        return { text: '', reasoning: '' };
      } else {
        this.#state = 'text';
        const text = this.#buf;
        this.#buf = '';
        return { text, reasoning: '' };
      }
    }
    const end = this.#buf.indexOf(CLOSE);
    if (end >= 0) {
      const reasoning = this.#buf.slice(0, end);
      const text = this.#buf.slice(end + CLOSE.length).replace(/^\s+/, '');
      this.#state = text === '' ? 'gap' : 'text';
      this.#buf = '';
      return { text, reasoning };
    }
    // Keep back a tail that might be the first characters of "</think>".
    let keep = 0;
    for (let k = Math.min(CLOSE.length - 1, this.#buf.length); k > 0; k--) {
      if (CLOSE.startsWith(this.#buf.slice(-k))) {
        keep = k;
        break;
      }
    }
    const reasoning = this.#buf.slice(0, this.#buf.length - keep);
    this.#buf = this.#buf.slice(this.#buf.length - keep);
    return { text: '', reasoning };
  }

  /** What is still held back when the stream ends: an unclosed think block is all reasoning. */
  end(): Split {
    const rest = this.#buf;
    this.#buf = '';
    if (this.#state === 'think') return { text: '', reasoning: rest };
    if (this.#state === 'gap') return { text: '', reasoning: '' };
    return { text: rest, reasoning: '' };
  }
}
