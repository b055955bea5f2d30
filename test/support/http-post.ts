// A POST for webhook tests, on its own connection. Without `body` only the headers go out (with
// whatever Content-Length they declare) and the answer is awaited: an answer then proves the server
// decided without reading the body, since a server that reads the body first never answers.
import http from "node:http";

export interface PostReply { status: number; text: string }

export function postHeadersFirst(url: string, headers: Record<string, string>, body?: string | Buffer, timeoutMs = 10_000): Promise<PostReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers, agent: false, timeout: timeoutMs }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { text += c; });
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, text });
        req.destroy();
      });
    });
    req.on("timeout", () => req.destroy(new Error(`POST ${url} timed out`)));
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.flushHeaders();
  });
}
