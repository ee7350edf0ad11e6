/** Streams a byte stream's lines (without the newline) to a callback as they arrive; awaits async callbacks in order. */
export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  fn: (line: string) => void | Promise<void>,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      await fn(line);
    }
  }
  buffered += decoder.decode();
  if (buffered) await fn(buffered);
}

/** The non-blank lines of a byte stream (trimmed), as they arrive: NDJSON bodies. */
export async function* nonBlankLines(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield line;
    }
  }
  buffered += decoder.decode();
  if (buffered.trim()) yield buffered.trim();
}
