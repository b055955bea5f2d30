// Reading an HTTP answer's body into memory with a ceiling, for clients that talk to servers they
// do not control (OCI registries, Helm repositories): a declared Content-Length over the bound is
// refused before a byte is read, and an answer that streams past it is cut off at the bound.
import type { Readable } from "node:stream";

/** An answer body: a readable stream, with the HTTP headers when it has them (IncomingMessage). */
export type BodyStream = Readable & { headers?: { "content-length"?: string } };

/**
 * The whole body of `res`, at most `maxBytes` long. A longer body (declared or streamed) destroys
 * the stream and rejects with `onTooLarge()`; a stream error rejects with that error.
 */
export function readBounded(res: BodyStream, maxBytes: number, onTooLarge: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(res.headers?.["content-length"] ?? "0") > maxBytes) {
      res.destroy();
      reject(onTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        // destroy() ends the stream without "end", so nothing resolves after this.
        res.destroy();
        reject(onTooLarge());
        return;
      }
      chunks.push(c);
    });
    res.on("end", () => resolve(Buffer.concat(chunks)));
    res.on("error", reject);
  });
}
