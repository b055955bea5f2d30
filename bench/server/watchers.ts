// The stream benchmark's watchers, in a process of their own (forked by bench.ts): W clients on the server's
// application stream, each recording when every event reached it. Kept off the main thread so the
// baseline watch on the apiserver and the patching client there are not delayed by 100 streams'
// parsing (which would blur "behind the apiserver's watch" with the benchmark's own queueing).
// Times are absolute (performance.timeOrigin + now()), comparable across processes.
import http from "node:http";

interface Input { url: string; token: string; watchers: number; resourceVersion: string }
/** `chunks`: reads that carried data, over all watchers (how the server batched its writes). */
export interface WatcherReport { arrivals: Array<[key: string, at: number]>; received: number; chunks: number }

const input = JSON.parse(process.argv[2] ?? "{}") as Input;
const send = (m: unknown): void => { process.send!(m); };
const now = (): number => performance.timeOrigin + performance.now();
const arrivals: Array<[string, number]> = [];
let received = 0;
let chunks = 0;
const requests: http.ClientRequest[] = [];

function open(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${input.url}/api/v1/stream/applications?resourceVersion=${input.resourceVersion}`, { headers: { authorization: `Bearer ${input.token}` }, agent: false }, (res) => {
      if (res.statusCode !== 200) { reject(new Error(`stream answered ${res.statusCode}`)); return; }
      res.setEncoding("utf8");
      let buf = "";
      res.on("data", (chunk: string) => {
        // One timestamp per chunk, taken before any parsing: when the bytes reached this client.
        const at = now();
        chunks++;
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim() === "") continue;
          const m = JSON.parse(line) as { result?: { application?: { metadata?: { name?: string; resourceVersion?: string } } } };
          const meta = m.result?.application?.metadata;
          if (!meta) continue;
          received++;
          arrivals.push([`${meta.name}@${meta.resourceVersion}`, at]);
        }
      });
      res.on("error", () => undefined);
      resolve();
    });
    req.on("error", (err) => { if (!stopping) reject(err); });
    requests.push(req);
  });
}

let stopping = false;
await Promise.all(Array.from({ length: input.watchers }, () => open()));
send({ ready: true });
process.on("message", (msg: { stop?: boolean }) => {
  if (!msg.stop) return;
  stopping = true;
  for (const r of requests) r.destroy();
  const report: WatcherReport = { arrivals, received, chunks };
  // The parent ends this process once the (large) report has arrived.
  send({ report });
});
