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
