// A minimal HTTP/1.1 client over the daemon's unix socket. The CLI uses it
// instead of fetch because fetch's first request costs ~13 ms of set-up, a
// quarter of the daemon run's budget. One request per connection
// (`Connection: close`); chunked and length-delimited bodies are decoded as
// they stream in.

/** A response whose body streams in. */
export interface SocketResponse {
  status: number;
  headers: Map<string, string>;
  body: AsyncGenerator<Uint8Array>;
}

const CRLF = [13, 10];

function indexOfSeq(buf: Uint8Array, seq: number[], from = 0): number {
  outer: for (let i = from; i <= buf.length - seq.length; i++) {
    for (let j = 0; j < seq.length; j++) {
      if (buf[i + j] !== seq[j]) continue outer;
    }
    return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Thrown when the daemon does not answer within the head timeout. */
export class HeadTimeout extends Error {}

/**
 * Sends one request over a unix socket and returns the streaming response.
 * With `headTimeoutMs`, connecting plus reading the response head must finish
 * within that time (a wedged or stopped daemon accepts connections but never
 * answers); the body then streams without a limit.
 */
export async function socketRequest(
  socket: string,
  method: string,
  path: string,
  body?: string,
  headTimeoutMs?: number,
): Promise<SocketResponse> {
  let conn: Deno.UnixConn | undefined;
  let timedOut = false;
  let disarm = () => {};
  // AbortSignal.timeout, not setTimeout: in Deno 2.9 the first setTimeout
  // loads the node:timers layer (~5 ms on the client's path); this timer is
  // unrefed and never keeps the process alive.
  const expired = new Promise<never>((_, reject) => {
    if (headTimeoutMs === undefined) return;
    const signal = AbortSignal.timeout(headTimeoutMs);
    const onAbort = () => {
      timedOut = true;
      try {
        conn?.close();
      } catch {
        // already closed
      }
      reject(
        new HeadTimeout(
          `no answer from the daemon on ${socket} within ${headTimeoutMs} ms`,
        ),
      );
    };
    signal.addEventListener("abort", onAbort, { once: true });
    disarm = () => signal.removeEventListener("abort", onAbort);
  });
  expired.catch(() => {});
  try {
    const connecting = Deno.connect({ transport: "unix", path: socket });
    // A connect that completes after the deadline is closed at once.
    connecting.then((c) => timedOut ? c.close() : undefined, () => {});
    conn = await Promise.race([connecting, expired]);
    return await Promise.race([exchange(conn, method, path, body), expired]);
  } catch (err) {
    if (timedOut && !(err instanceof HeadTimeout)) {
      throw new HeadTimeout(
        `no answer from the daemon on ${socket} within ${headTimeoutMs} ms`,
      );
    }
    throw err;
  } finally {
    disarm();
  }
}

async function exchange(
  conn: Deno.UnixConn,
  method: string,
  path: string,
  body?: string,
): Promise<SocketResponse> {
  const enc = new TextEncoder();
  const payload = body === undefined ? new Uint8Array() : enc.encode(body);
  const head =
    `${method} ${path} HTTP/1.1\r\nHost: swamp\r\nConnection: close\r\n` +
    (body === undefined
      ? "\r\n"
      : `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`);
  const request = concat(enc.encode(head), payload);
  // Written while the answer is read: a daemon may answer (413) without
  // reading a large body, and a failed write must not hide its answer.
  let writeError: unknown;
  (async () => {
    let n = 0;
    while (n < request.length) n += await conn.write(request.subarray(n));
  })().catch((err) => (writeError = err));
  // conn.read, not conn.readable: the stream getter loads the web streams
  // layer (~4 ms) on the client's path.
  const chunk = new Uint8Array(64 * 1024);
  let buf: Uint8Array = new Uint8Array();
  const more = async (): Promise<boolean> => {
    const n = await conn.read(chunk);
    if (n === null) return false;
    buf = concat(buf, chunk.slice(0, n));
    return true;
  };
  let end: number;
  while ((end = indexOfSeq(buf, [13, 10, 13, 10])) === -1) {
    let got: boolean;
    try {
      got = await more();
    } catch (err) {
      throw writeError ?? err;
    }
    if (!got) {
      conn.close();
      throw new Error(
        `the daemon closed the connection without a response${
          writeError ? ` (${(writeError as Error).message})` : ""
        }`,
      );
    }
  }
  const lines = new TextDecoder().decode(buf.subarray(0, end)).split("\r\n");
  buf = buf.subarray(end + 4);
  const status = Number(lines[0].split(" ")[1]);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i > 0) {
      headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
    }
  }
  const chunked = headers.get("transfer-encoding")?.includes("chunked") ??
    false;
  const length = headers.has("content-length")
    ? Number(headers.get("content-length"))
    : undefined;

  async function* stream(): AsyncGenerator<Uint8Array> {
    try {
      if (chunked) {
        while (true) {
          let nl: number;
          while ((nl = indexOfSeq(buf, CRLF)) === -1) {
            if (!(await more())) return;
          }
          const size = parseInt(
            new TextDecoder().decode(buf.subarray(0, nl)),
            16,
          );
          buf = buf.subarray(nl + 2);
          if (!size) return;
          while (buf.length < size + 2) {
            if (!(await more())) return;
          }
          yield buf.slice(0, size);
          buf = buf.subarray(size + 2);
        }
      } else {
        let left = length ?? Infinity;
        while (left > 0) {
          if (buf.length > 0) {
            const part = buf.subarray(0, Math.min(buf.length, left));
            left -= part.length;
            buf = buf.subarray(part.length);
            yield part;
          } else if (!(await more())) return;
        }
      }
    } finally {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }
  return { status, headers, body: stream() };
}

/** Reads a whole response body as text. */
export async function readAll(res: SocketResponse): Promise<string> {
  const dec = new TextDecoder();
  let text = "";
  for await (const c of res.body) text += dec.decode(c, { stream: true });
  return text + dec.decode();
}
