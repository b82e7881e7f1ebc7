// mistral-tokenizer-js ships no types; this is the one call we use.
declare module 'mistral-tokenizer-js' {
  const mistralTokenizer: { encode(text: string, addBos?: boolean, addPrecedingSpace?: boolean): number[] };
  export default mistralTokenizer;
}
