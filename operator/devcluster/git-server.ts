// A loopback smart-HTTP git server for tests and demos: Node's http server in front of the real
// `git http-backend` (as CGI), hosting any number of bare repositories under one root directory,
// with optional HTTP basic auth per server or per repository, optionally over https (with client
// certificates), and pushes enabled. Git LFS objects are served read-only through the LFS batch
// API (`<repo>.git/info/lfs/objects/batch`, basic transfer) from `<repo>.git/lfs/objects/`, the
// layout git-lfs itself uses; addLfsObject() puts them there.
//
// Everything here is asynchronous: the server usually runs inside a test process that also runs the
// code under test, and a synchronous child process would block the server from answering the very
// git client the test is waiting on.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createHash, timingSafeEqual as safeEqual } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { createGunzip, createInflate } from "node:zlib";
import { errorMessage } from "../util/index.js";

export interface GitAuth {
  username: string;
  password: string;
}

export interface GitServerOptions {
  /** Directory holding the bare repositories (`<name>.git`). Default: a fresh temp dir, deleted by stop(). */
  root?: string;
  /** Basic-auth credentials required for every repository without its own setting. */
  auth?: GitAuth;
  /**
   * Serve https instead of http: PEM server certificate (valid for 127.0.0.1) and key, and
   * optionally a CA whose client certificates every request must present.
   */
  tls?: { cert: string; key: string; clientCa?: string };
}

/** Content for a commit: path → file content. Paths use "/" and may include directories. */
export type RepoFiles = Record<string, string | Buffer>;

/** Marks a directory whose whole tree becomes the commit's content (see fromDir()). */
export class DirContent {
  constructor(readonly dir: string) {}
}

/** createRepo(name, fromDir("test/fixtures/guestbook")) */
export function fromDir(dir: string): DirContent {
  return new DirContent(dir);
}

export interface CreateRepoOptions {
  /**
   * Credentials for this repository only. `null` makes it anonymous even when the server has
   * credentials; undefined inherits the server's.
   */
  auth?: GitAuth | null;
  /** Default branch. Default "main". */
  branch?: string;
  message?: string;
}

export interface CommitOptions {
  /** Paths (files or directories) to remove in the same commit. */
  delete?: string[];
  /** Branch to commit to; created from the default branch's head when it does not exist. */
  branch?: string;
  /** Replace the whole tree with `files` instead of overlaying them on the current tree. */
  replace?: boolean;
}

export interface GitRequestRecord {
  method: string;
  repo: string;
  /** git-upload-pack / git-receive-pack, or "" for other paths. */
  service: string;
  status: number;
  user?: string;
  /** The Git-Protocol request header ("version=2" when the client speaks protocol v2). */
  gitProtocol?: string;
  /** Content-Encoding of the request body (git gzips upload-pack requests). */
  contentEncoding?: string;
}

export interface GitServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly root: string;
  /** Every request served, in order (for tests asserting how often a repo was fetched). */
  readonly requests: readonly GitRequestRecord[];
  /** Clone URL of a repository: `${url}/${name}.git`. */
  baseUrl(repo: string): string;
  /** The clone URL with credentials embedded (for the git CLI in tests). */
  authUrl(repo: string, auth: GitAuth): string;
  /** Creates a bare repository with one commit holding `content`; resolves to the commit sha. */
  createRepo(name: string, content?: RepoFiles | DirContent | string, opts?: CreateRepoOptions): Promise<string>;
  /** Commits `files` (overlaying the current tree) to the repository; resolves to the new sha. */
  commitFiles(repo: string, files: RepoFiles | DirContent, message: string, opts?: CommitOptions): Promise<string>;
  /** Creates (or moves) a lightweight tag; resolves to the tagged commit sha. */
  tag(repo: string, tag: string, rev?: string): Promise<string>;
  /** Resolves a revision (branch, tag, sha, "HEAD") in the bare repository. */
  revParse(repo: string, rev?: string): Promise<string>;
  /**
   * Stores `content` as a Git LFS object of the repository (served by the LFS batch API) and
   * returns the pointer file to commit in its place.
   */
  addLfsObject(repo: string, content: string | Buffer): Promise<string>;
  /**
   * Commits a submodule at `path` pinned to `commit`, with `url` (absolute or `../x.git`) in
   * .gitmodules; resolves to the new sha of the repository.
   */
  addSubmodule(repo: string, path: string, url: string, commit: string): Promise<string>;
  /** Changes a repository's credentials (see CreateRepoOptions.auth). */
  setRepoAuth(repo: string, auth: GitAuth | null | undefined): void;
  stop(): Promise<void>;
}

// Keep the user's and the system's git configuration (signing, hooks, url rewrites) out of both the
// server and the helper commands. gc.auto=0: a commit of thousands of files (the 10,000-app
// benchmarks) otherwise starts a background `git gc` that still writes into the temporary clone
// while it is being removed (ENOTEMPTY).
const GIT_ENV: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_COUNT: "1",
  GIT_CONFIG_KEY_0: "gc.auto",
  GIT_CONFIG_VALUE_0: "0",
  GIT_TERMINAL_PROMPT: "0",
  GIT_AUTHOR_NAME: "Hawser Test",
  GIT_AUTHOR_EMAIL: "test@hawser.invalid",
  GIT_COMMITTER_NAME: "Hawser Test",
  GIT_COMMITTER_EMAIL: "test@hawser.invalid",
};

function git(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile("git", args, { cwd: opts.cwd, env: { ...process.env, ...GIT_ENV, ...opts.env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(" ")} failed: ${stderr.trim() || err.message}`));
      else resolvePromise(stdout.trim());
    });
  });
}

function validRepoName(name: string): string {
  const clean = name.replace(/\.git$/, "");
  // Slashes allowed (org/repo); no empty, dot or dot-dot segments, nothing outside the root.
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(clean) || clean.split("/").some((s) => s === "." || s === "..")) {
    throw new Error(`invalid repository name "${name}"`);
  }
  return clean;
}

function credentialsMatch(header: string | undefined, auth: GitAuth): boolean {
  if (!header?.startsWith("Basic ")) return false;
  const decoded = Buffer.from(header.slice(6), "base64");
  const expected = Buffer.from(`${auth.username}:${auth.password}`);
  return decoded.length === expected.length && safeEqual(decoded, expected);
}

async function writeContent(dir: string, content: RepoFiles | DirContent): Promise<void> {
  if (content instanceof DirContent) {
    await cp(content.dir, dir, { recursive: true, filter: (src) => !src.split(sep).includes(".git") });
    return;
  }
  for (const [path, data] of Object.entries(content)) {
    const target = resolve(dir, path);
    if (!target.startsWith(dir + sep)) throw new Error(`file path "${path}" escapes the repository`);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, data);
  }
}

// The part of the URL path after the repository.
const GIT_SUFFIX = /^(.*?)\/(info\/lfs\/objects\/(?:batch|[0-9a-f]{64})|info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.+)$/;

const lfsObjectPath = (repoDir: string, oid: string): string => join(repoDir, "lfs", "objects", oid.slice(0, 2), oid.slice(2, 4), oid);

/** The LFS batch API, downloads only: each object gets a download href or a 404 object error. */
async function serveLfs(req: IncomingMessage, res: ServerResponse, repoDir: string, rest: string, baseUrl: string): Promise<number> {
  const json = (status: number, body: unknown): number => {
    res.writeHead(status, { "content-type": "application/vnd.git-lfs+json" });
    res.end(JSON.stringify(body));
    return status;
  };
  if (rest.endsWith("/batch")) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as { operation?: string; objects?: { oid: string; size: number }[] };
    if (body.operation !== "download") return json(403, { message: "this server only serves downloads" });
    const objects = (body.objects ?? []).map((o) => {
      if (!/^[0-9a-f]{64}$/.test(o.oid) || !existsSync(lfsObjectPath(repoDir, o.oid))) return { ...o, error: { code: 404, message: "object not found" } };
      return { ...o, authenticated: true, actions: { download: { href: `${baseUrl}/info/lfs/objects/${o.oid}`, header: req.headers.authorization ? { Authorization: req.headers.authorization } : {} } } };
    });
    return json(200, { transfer: "basic", objects });
  }
  const oid = rest.slice(rest.lastIndexOf("/") + 1);
  try {
    const data = await readFile(lfsObjectPath(repoDir, oid));
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(data.length) });
    res.end(data);
    return 200;
  } catch {
    return json(404, { message: "object not found" });
  }
}

export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  const ownRoot = !opts.root;
  const root = resolve(opts.root ?? (await mkdtemp(join(tmpdir(), "hawser-git-"))));
  await mkdir(root, { recursive: true });
  const repoAuth = new Map<string, GitAuth | null>();
  const requests: GitRequestRecord[] = [];
  // Content changes of one repository are serialised: each is clone → commit → push.
  const locks = new Map<string, Promise<unknown>>();
  const withLock = <T>(repo: string, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(repo) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    locks.set(repo, next);
    return next;
  };

  const repoDir = (name: string): string => join(root, `${validRepoName(name)}.git`);

  /** The on-disk directory (relative to root) for a URL repo path, with or without ".git". */
  /** Running `git http-backend` children, killed by stop(). */
  const backends = new Set<ChildProcess>();

  async function locate(urlRepo: string): Promise<string | undefined> {
    for (const candidate of [urlRepo.endsWith(".git") ? urlRepo : `${urlRepo}.git`, urlRepo]) {
      const abs = resolve(root, candidate);
      if (!abs.startsWith(root + sep)) return undefined;
      try {
        if ((await stat(join(abs, "objects"))).isDirectory()) return relative(root, abs);
      } catch {
        // not this one
      }
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = decodeURIComponent(url.pathname);
    const match = GIT_SUFFIX.exec(path);
    const record: GitRequestRecord = { method: req.method ?? "GET", repo: "", service: "", status: 0 };
    const gitProtocol = req.headers["git-protocol"];
    if (typeof gitProtocol === "string") record.gitProtocol = gitProtocol;
    if (req.headers["content-encoding"]) record.contentEncoding = req.headers["content-encoding"];
    requests.push(record);
    const finish = (status: number, body: string, headers: Record<string, string> = {}): void => {
      record.status = status;
      res.writeHead(status, { "content-type": "text/plain", ...headers });
      res.end(body);
    };
    if (!match || path.includes("/../") || path.includes("\0")) return finish(404, "not found\n");
    const urlRepo = (match[1] ?? "").replace(/^\/+/, "");
    const rest = match[2] ?? "";
    const repoName = urlRepo.replace(/\.git$/, "");
    record.repo = repoName;
    record.service = rest === "info/refs" ? (url.searchParams.get("service") ?? "") : rest.startsWith("git-") ? rest : "";

    const required = repoAuth.has(repoName) ? repoAuth.get(repoName) : opts.auth;
    let user: string | undefined;
    if (required) {
      if (!credentialsMatch(req.headers.authorization, required)) {
        return finish(401, "authentication required\n", { "www-authenticate": 'Basic realm="hawser-git"' });
      }
      user = required.username;
      record.user = user;
    }
    const dir = await locate(urlRepo);
    if (!dir) return finish(404, "repository not found\n");
    if (rest.startsWith("info/lfs/")) {
      const host = req.headers.host ?? "127.0.0.1";
      record.status = await serveLfs(req, res, join(root, dir), rest, `${tls ? "https" : "http"}://${host}/${urlRepo}`);
      return;
    }

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...GIT_ENV,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      PATH_INFO: `/${dir}/${rest}`,
      QUERY_STRING: url.search.replace(/^\?/, ""),
      REQUEST_METHOD: req.method ?? "GET",
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
      SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
      ...(user ? { REMOTE_USER: user } : {}),
      // Protocol v2 is negotiated through this header; http-backend passes it on to upload-pack.
      ...(typeof gitProtocol === "string" ? { GIT_PROTOCOL: gitProtocol } : {}),
    };
    const encoding = (req.headers["content-encoding"] ?? "").toLowerCase();
    // We decompress ourselves, so http-backend sees a plain body of unknown length and reads it to
    // EOF; a Content-Length is only passed when the body is forwarded untouched.
    if (!encoding && req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];

    const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
    backends.add(child);
    child.on("close", () => backends.delete(child));
    // A client gone mid-request (an operator killed during a fetch) never ends the body, and
    // http-backend would wait for it forever, keeping the process that serves it alive.
    res.on("close", () => { if (!res.writableFinished && child.exitCode === null) child.kill(); });
    // The client may have gone already, while the repository was looked up: that "close" was
    // missed, and the destroyed request would never end http-backend's input.
    if (req.destroyed) child.kill();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdin.on("error", () => undefined); // backend may exit before reading everything (errors)
    if (encoding === "gzip" || encoding === "x-gzip") req.pipe(createGunzip()).on("error", () => child.kill()).pipe(child.stdin);
    else if (encoding === "deflate") req.pipe(createInflate()).on("error", () => child.kill()).pipe(child.stdin);
    else req.pipe(child.stdin);

    // CGI output: header lines, a blank line, then the body, which is streamed through.
    let head = Buffer.alloc(0);
    let headersDone = false;
    const onData = (chunk: Buffer): void => {
      if (headersDone) return;
      head = Buffer.concat([head, chunk]);
      const text = head.toString("latin1");
      const crlf = text.indexOf("\r\n\r\n");
      const lf = text.indexOf("\n\n");
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
      if (end < 0) return;
      headersDone = true;
      child.stdout.off("data", onData);
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of text.slice(0, end).split(/\r?\n/)) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === "status") status = parseInt(value, 10) || 200;
        else headers[key] = value;
      }
      record.status = status;
      res.writeHead(status, headers);
      res.write(head.subarray(end));
      child.stdout.pipe(res);
    };
    child.stdout.on("data", onData);
    await new Promise<void>((done) => {
      child.on("close", (code) => {
        if (!headersDone) {
          finish(500, `git http-backend failed (exit ${code}): ${stderr}\n`);
        }
        done();
      });
      child.on("error", (e) => {
        if (!headersDone) finish(500, `git http-backend: ${e.message}\n`);
        done();
      });
    });
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`internal error: ${errorMessage(err)}\n`);
    });
  };
  const tls = opts.tls;
  const server: Server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key, ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}) }, onRequest)
    : createServer(onRequest);
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const scheme = tls ? "https" : "http";
  const url = `${scheme}://127.0.0.1:${port}`;

  async function commitTo(name: string, content: RepoFiles | DirContent, message: string, o: CommitOptions): Promise<string> {
    const bare = repoDir(name);
    if (!existsSync(bare)) throw new Error(`repository "${name}" does not exist`);
    const work = await mkdtemp(join(tmpdir(), "hawser-git-work-"));
    try {
      await git(["clone", "--quiet", bare, work]);
      const branches = await git(["branch", "-r", "--format=%(refname:lstrip=3)"], { cwd: work });
      if (o.branch) {
        if (branches.split("\n").includes(o.branch)) await git(["checkout", "--quiet", o.branch], { cwd: work });
        else await git(["checkout", "--quiet", "-b", o.branch], { cwd: work });
      }
      if (o.replace) await git(["rm", "-r", "--quiet", "--ignore-unmatch", "."], { cwd: work });
      for (const path of o.delete ?? []) {
        await rm(resolve(work, path), { recursive: true, force: true });
      }
      await writeContent(work, content);
      await git(["add", "-A"], { cwd: work });
      await git(["commit", "--quiet", "--allow-empty", "-m", message], { cwd: work });
      await git(["push", "--quiet", "origin", "HEAD"], { cwd: work });
      return await git(["rev-parse", "HEAD"], { cwd: work });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  const api: GitServer = {
    url,
    root,
    requests,
    baseUrl: (repo) => `${url}/${validRepoName(repo)}.git`,
    authUrl: (repo, auth) =>
      `${scheme}://${encodeURIComponent(auth.username)}:${encodeURIComponent(auth.password)}@127.0.0.1:${port}/${validRepoName(repo)}.git`,
    async createRepo(name, content = {}, o = {}) {
      const clean = validRepoName(name);
      const bare = repoDir(clean);
      if (existsSync(bare)) throw new Error(`repository "${clean}" already exists`);
      const branch = o.branch ?? "main";
      await mkdir(dirname(bare), { recursive: true });
      await git(["init", "--quiet", "--bare", `--initial-branch=${branch}`, bare]);
      for (const [k, v] of [
        ["http.receivepack", "true"],
        // Argo CD-style clients fetch single commits by sha.
        ["uploadpack.allowReachableSHA1InWant", "true"],
        ["uploadpack.allowAnySHA1InWant", "true"],
        ["uploadpack.allowFilter", "true"],
      ] as const) {
        await git(["config", k, v], { cwd: bare });
      }
      if (o.auth !== undefined) repoAuth.set(clean, o.auth);
      const files = typeof content === "string" ? fromDir(content) : content;
      return withLock(clean, async () => {
        const work = await mkdtemp(join(tmpdir(), "hawser-git-work-"));
        try {
          await git(["init", "--quiet", `--initial-branch=${branch}`, work]);
          await writeContent(work, files);
          await git(["add", "-A"], { cwd: work });
          await git(["commit", "--quiet", "--allow-empty", "-m", o.message ?? "initial commit"], { cwd: work });
          await git(["push", "--quiet", bare, `HEAD:refs/heads/${branch}`], { cwd: work });
          return await git(["rev-parse", "HEAD"], { cwd: work });
        } finally {
          await rm(work, { recursive: true, force: true });
        }
      });
    },
    commitFiles(repo, files, message, o = {}) {
      const clean = validRepoName(repo);
      return withLock(clean, () => commitTo(clean, files, message, o));
    },
    tag(repo, tagName, rev = "HEAD") {
      const clean = validRepoName(repo);
      return withLock(clean, async () => {
        const bare = repoDir(clean);
        await git(["tag", "-f", tagName, rev], { cwd: bare });
        return git(["rev-parse", `${tagName}^{commit}`], { cwd: bare });
      });
    },
    revParse(repo, rev = "HEAD") {
      return git(["rev-parse", `${rev}^{commit}`], { cwd: repoDir(repo) });
    },
    async addLfsObject(repo, content) {
      const data = Buffer.from(content);
      const oid = createHash("sha256").update(data).digest("hex");
      const file = lfsObjectPath(repoDir(repo), oid);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, data);
      return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${data.length}\n`;
    },
    addSubmodule(repo, path, subUrl, commit) {
      const clean = validRepoName(repo);
      return withLock(clean, async () => {
        const work = await mkdtemp(join(tmpdir(), "hawser-git-work-"));
        try {
          await git(["clone", "--quiet", repoDir(clean), work]);
          await git(["update-index", "--add", "--cacheinfo", `160000,${commit},${path}`], { cwd: work });
          await git(["config", "--file", ".gitmodules", `submodule.${path}.path`, path], { cwd: work });
          await git(["config", "--file", ".gitmodules", `submodule.${path}.url`, subUrl], { cwd: work });
          await git(["add", ".gitmodules"], { cwd: work });
          await git(["commit", "--quiet", "-m", `submodule ${path}`], { cwd: work });
          await git(["push", "--quiet", "origin", "HEAD"], { cwd: work });
          return await git(["rev-parse", "HEAD"], { cwd: work });
        } finally {
          await rm(work, { recursive: true, force: true });
        }
      });
    },
    setRepoAuth(repo, auth) {
      const clean = validRepoName(repo);
      if (auth === undefined) repoAuth.delete(clean);
      else repoAuth.set(clean, auth);
    },
    async stop() {
      await new Promise<void>((done) => {
        server.close(() => done());
        for (const s of sockets) s.destroy();
        for (const c of backends) c.kill();
      });
      if (ownRoot) await rm(root, { recursive: true, force: true });
    },
  };
  return api;
}
