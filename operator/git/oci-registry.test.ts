// The distribution-API client against loopback registries: the test registry (basic auth or the
// token flow, paginated tag listings, HTTPS with the dev PKI's CA) and hostile servers written
// here (a Link to another host, a Link that loops, an endless answer, a token realm on plain
// HTTP). Every failure names its reason, and no message carries the password.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePki } from "../devcluster/pki.js";
import { startOciRegistry, type OciArtifact } from "../../test/support/oci-registry.js";
import { serveLoopback, type AfterHook } from "../../test/support/loopback-server.js";
import { listTags, parseChallenge, parseOciReference, pingRegistry, OciRegistryError, type OciReference } from "./oci-registry.js";

const PASSWORD = "registry-s3cret-do-not-leak";
const WRONG = "wrong-registry-pw-do-not-leak";

const artifact = (repository: string, tag: string): OciArtifact => ({
  repository, tag, layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", body: Buffer.from(`layer of ${tag}`) }],
});

function ref(host: string, repository: string): OciReference {
  const r = parseOciReference(`oci://${host}/${repository}`);
  assert.ok(!("problem" in r), JSON.stringify(r));
  return r;
}

async function failure(p: Promise<unknown>): Promise<OciRegistryError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OciRegistryError, `an OciRegistryError, got ${String(err)}`);
    assert.ok(!err.message.includes(PASSWORD) && !err.message.includes(WRONG), `no password in: ${err.message}`);
    return err;
  }
  assert.fail("expected a failure");
}

/** A plain-HTTP server answering with `handle`, as a registry host; closed after the test. */
async function hostile(t: AfterHook, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  return (await serveLoopback(t, handle)).host;
}

test("parseOciReference: registry and repository; credentials, queries and non-names refused", () => {
  assert.deepEqual(parseOciReference("oci://ghcr.io/org/app"), { registry: "ghcr.io", repository: "org/app" });
  assert.deepEqual(parseOciReference("registry.local:5000/charts/"), { registry: "registry.local:5000", repository: "charts" });
  assert.deepEqual(parseOciReference("oci://registry.local:5000"), { registry: "registry.local:5000", repository: "" });
  for (const [bad, why] of [
    ["oci://user:pw@ghcr.io/x", /credentials/],
    ["oci://ghcr.io/x?n=1", /query/],
    ["oci://ghcr.io/a/../b", /not an OCI repository name/],
    ["oci://ghcr.io/Upper", /not an OCI repository name/],
    ["https://ghcr.io/x", /must be oci:/],
    ["oci:///x", /no registry host|not a valid/],
  ] as const) {
    const r = parseOciReference(bad);
    assert.ok("problem" in r, `${bad} refused`);
    assert.match(r.problem, why, bad);
  }
});

test("parseChallenge reads Bearer and Basic challenges with quoted parameters", () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'),
    { scheme: "bearer", params: { realm: "https://auth.example/token", service: "registry.example", scope: "repository:a/b:pull,push" } });
  assert.deepEqual(parseChallenge('Basic realm="x"'), { scheme: "basic", params: { realm: "x" } });
  assert.equal(parseChallenge("Negotiate abc"), undefined);
  assert.equal(parseChallenge(undefined), undefined);
});

test("basic auth: ping and a paginated tag listing; wrong, missing credentials and unknown repositories named", async (t) => {
  const tags = Array.from({ length: 2503 }, (_, i) => `v${String(i).padStart(4, "0")}`);
  const registry = await startOciRegistry({ artifacts: tags.map((tag) => artifact("apps/guestbook", tag)), auth: { username: "u", password: PASSWORD } });
  t.after(() => registry.close());
  const auth = { username: "u", password: PASSWORD, plainHttp: true };
  await pingRegistry(registry.host, auth);
  const listed = await listTags(ref(registry.host, "apps/guestbook"), auth);
  assert.deepEqual(listed, tags, "every page is followed, in the registry's order");
  assert.equal(registry.requests.filter((r) => r.startsWith("GET /v2/apps/guestbook/tags/list")).length >= 3, true, `three pages were read: ${registry.requests.join(", ")}`);
  assert.equal((await listTags(ref(registry.host, "apps/guestbook"), auth, { maxPages: 1 })).length, 1000, "maxPages 1 reads one page");

  const wrong = await failure(pingRegistry(registry.host, { ...auth, password: WRONG }));
  assert.match(wrong.message, /registry 127\.0\.0\.1:\d+ rejected the credentials for the registry's API \(\/v2\/\) \(HTTP 401\)/);
  const none = await failure(listTags(ref(registry.host, "apps/guestbook"), { plainHttp: true }));
  assert.match(none.message, /needs credentials for the tags of apps\/guestbook \(HTTP 401\)/);
  const missing = await failure(listTags(ref(registry.host, "apps/nope"), auth));
  assert.match(missing.message, /has no tags of apps\/nope \(HTTP 404\)/);
  assert.equal(missing.status, 404);
  const noRepo = await failure(listTags({ registry: registry.host, repository: "" }, auth));
  assert.match(noRepo.message, /names a registry, not a repository/);
  assert.ok(registry.authorizationHeaders.every((h) => h === "" || h.startsWith("Basic ")), "only basic credentials were sent");
});

test("token flow: the token is fetched once per scope with the credentials, then used as Bearer", async (t) => {
  const registry = await startOciRegistry({ artifacts: [artifact("apps/web", "1.0.0"), artifact("apps/web", "1.1.0")], auth: { username: "u", password: PASSWORD }, authScheme: "bearer", service: "test-svc" });
  t.after(() => registry.close());
  const auth = { username: "u", password: PASSWORD, plainHttp: true };
  await pingRegistry(registry.host, auth);
  assert.deepEqual(await listTags(ref(registry.host, "apps/web"), auth), ["1.0.0", "1.1.0"]);
  const tokenRequests = registry.requests.filter((r) => r.startsWith("GET /token"));
  assert.equal(tokenRequests.length, 2, `one token for /v2/, one for the repository: ${tokenRequests.join(", ")}`);
  assert.match(tokenRequests[1]!, /service=test-svc&scope=repository%3Aapps%2Fweb%3Apull/);
  assert.ok(registry.authorizationHeaders.every((h) => !h.startsWith("Basic ")), "the registry itself never saw the password");

  const wrong = await failure(listTags(ref(registry.host, "apps/web"), { ...auth, password: WRONG }));
  assert.match(wrong.message, /the token service rejected the credentials \(HTTP 401\)/);
  const anonymous = await failure(pingRegistry(registry.host, { plainHttp: true }));
  assert.match(anonymous.message, /the token service needs credentials/);
});

test("HTTPS: the CA argocd-tls-certs-cm gives is trusted; without it the failure says how to fix it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-tls-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pki = await generatePki(join(dir, "pki"));
  const [cert, key, ca] = await Promise.all([pki.apiserverCert, pki.apiserverKey, pki.caCert].map((f) => readFile(f, "utf8")));
  const registry = await startOciRegistry({ artifacts: [artifact("apps/web", "2.0.0")], auth: { username: "u", password: PASSWORD }, authScheme: "bearer", tls: { cert: cert!, key: key! } });
  t.after(() => registry.close());
  assert.deepEqual(await listTags(ref(registry.host, "apps/web"), { username: "u", password: PASSWORD, caData: ca! }), ["2.0.0"]);
  assert.deepEqual(await listTags(ref(registry.host, "apps/web"), { username: "u", password: PASSWORD, insecureSkipTLSVerify: true }), ["2.0.0"]);
  const untrusted = await failure(pingRegistry(registry.host, { username: "u", password: PASSWORD }));
  assert.match(untrusted.message, /TLS certificate verification failed \(add the registry's CA to argocd-tls-certs-cm, or mark the repository insecure\)/);
  const plain = await failure(pingRegistry(registry.host, { username: "u", password: PASSWORD, plainHttp: true }));
  assert.ok(plain.message.startsWith(`registry ${registry.host}: `), plain.message);
});

test("attack: a Link header to another host is not followed (the token would go there)", async (t) => {
  const elsewhere: string[] = [];
  const other = await hostile(t, (req, res) => { elsewhere.push(req.headers.authorization ?? ""); res.end('{"tags":["stolen"]}'); });
  const host = await hostile(t, (_req, res) => {
    res.writeHead(200, { "content-type": "application/json", link: `<http://${other}/v2/x/tags/list?last=a>; rel="next"` }).end('{"tags":["a"]}');
  });
  const err = await failure(listTags(ref(host, "x"), { username: "u", password: PASSWORD, plainHttp: true }));
  assert.match(err.message, /its Link header points to another server \(127\.0\.0\.1:\d+\); not followed/);
  assert.deepEqual(elsewhere, [], "nothing reached the other host");
});

test("attack: a Link header that loops, and pages without end, stop with a reason", async (t) => {
  const loop = await hostile(t, (_req, res) => {
    res.writeHead(200, { "content-type": "application/json", link: '</v2/x/tags/list?n=1000&last=a>; rel="next"' }).end('{"tags":["a"]}');
  });
  assert.match((await failure(listTags(ref(loop, "x"), { plainHttp: true }))).message, /loops \(its Link header repeats a page\)/);
  let served = 0;
  const endless = await hostile(t, (_req, res) => {
    served++;
    res.writeHead(200, { "content-type": "application/json", link: `</v2/x/tags/list?last=t${served}>; rel="next"` }).end(JSON.stringify({ tags: [`t${served}`] }));
  });
  const tags = await listTags(ref(endless, "x"), { plainHttp: true });
  assert.equal(tags.length, 100, "the listing stops at MAX_TAG_PAGES pages");
});

test("attack: an endless answer is cut off; a non-JSON listing is refused", async (t) => {
  const huge = await hostile(t, (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const more = (): void => {
      while (sent < 8 && res.write(chunk)) sent++;
      if (sent < 8) res.once("drain", more);
      else res.end();
    };
    more();
  });
  assert.match((await failure(listTags(ref(huge, "x"), { plainHttp: true }))).message, /an answer is larger than 4194304 bytes/);
  const html = await hostile(t, (_req, res) => res.end("<html>login</html>"));
  assert.match((await failure(listTags(ref(html, "x"), { plainHttp: true }))).message, /the tag listing of x is not JSON/);
});

test("attack: a token realm on plain HTTP does not get the credentials of an HTTPS registry", async (t) => {
  const realmHits: string[] = [];
  const realm = await hostile(t, (req, res) => { realmHits.push(req.headers.authorization ?? ""); res.end('{"token":"t"}'); });
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-realm-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pki = await generatePki(join(dir, "pki"));
  const [cert, key] = await Promise.all([pki.apiserverCert, pki.apiserverKey].map((f) => readFile(f, "utf8")));
  const { createServer: createHttps } = await import("node:https");
  const server = createHttps({ cert: cert!, key: key! }, (_req, res) => {
    res.writeHead(401, { "www-authenticate": `Bearer realm="http://${realm}/token",service="s"` }).end();
  });
  const { host } = await serveLoopback(t, server);
  const err = await failure(pingRegistry(host, { username: "u", password: PASSWORD, insecureSkipTLSVerify: true }));
  assert.match(err.message, /its token realm http:\/\/127\.0\.0\.1:\d+ is plain HTTP; the credentials are not sent there/);
  assert.deepEqual(realmHits, [], "the realm was never asked");
});
