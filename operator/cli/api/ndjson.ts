// Reads a stream framed as Argo's gateway frames it (argo-cd-server.md §1.2): one JSON object per
// line, `{"result": ...}` per message, or one `{"error": {...}}` after which the server closes.
// Blank lines are the server's keep-alives.

/** The error object a stream ends with. */
export class StreamError extends Error {
  constructor(message: string, readonly httpCode?: number, readonly grpcCode?: number) {
    super(message);
    this.name = "StreamError";
  }
}

/** Splits chunks into lines (a message may arrive in pieces) and yields each `result`. */
export class NdjsonReader<T> {
  private buffer = "";

  /** The messages completed by `chunk`; throws StreamError on an error frame or a broken line. */
  push(chunk: string): T[] {
    this.buffer += chunk;
    const out: T[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) out.push(parseFrame<T>(line));
    }
    return out;
  }

  /** The last message when the stream ended without a final newline. */
  end(): T[] {
    const line = this.buffer.trim();
    this.buffer = "";
    return line ? [parseFrame<T>(line)] : [];
  }
}

function parseFrame<T>(line: string): T {
  let frame: unknown;
  try {
    frame = JSON.parse(line);
  } catch {
    throw new StreamError(`the server sent a line that is not JSON: ${line.slice(0, 200)}`);
  }
  if (typeof frame !== "object" || frame === null) throw new StreamError(`the server sent a frame that is not an object: ${line.slice(0, 200)}`);
  const f = frame as { result?: unknown; error?: unknown };
  if (f.error !== undefined) {
    const e = (typeof f.error === "object" && f.error !== null ? f.error : { message: typeof f.error === "string" ? f.error : JSON.stringify(f.error) }) as { message?: unknown; http_code?: unknown; grpc_code?: unknown };
    const message = typeof e.message === "string" && e.message ? e.message : "the stream failed without a message";
    throw new StreamError(message, typeof e.http_code === "number" ? e.http_code : undefined, typeof e.grpc_code === "number" ? e.grpc_code : undefined);
  }
  if (!("result" in f)) throw new StreamError(`the server sent a frame with neither result nor error: ${line.slice(0, 200)}`);
  return f.result as T;
}
