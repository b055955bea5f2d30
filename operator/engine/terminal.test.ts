import { test } from "node:test";
import assert from "node:assert/strict";
import { allowedShells, DEFAULT_SHELLS, execEnabled, isShellNotFound, parseClientMessage, parseTerminalQuery, shellsToTry, stdoutMessage, TerminalRequestError } from "./terminal.js";

const full = { pod: "web-7d9f-abcde", container: "web", appName: "guestbook", projectName: "default", namespace: "apps" };

test("parseTerminalQuery: the five required parameters, each checked as a Kubernetes name", () => {
  assert.deepEqual(parseTerminalQuery({ ...full, appNamespace: "team-a", shell: "sh" }), { ...full, appNamespace: "team-a", shell: "sh" });
  assert.deepEqual(parseTerminalQuery({ ...full, appNamespace: "" }), full, "an empty appNamespace is the control namespace");
  assert.throws(() => parseTerminalQuery({ pod: "p", appName: "a" }), (e: unknown) => e instanceof TerminalRequestError && e.status === 400 && e.message === "Missing required parameters: container, projectName, namespace");
  for (const [key, value, what] of [["pod", "Web_1", "Pod name"], ["container", "a.b", "Container name"], ["appName", "../x", "App name"], ["projectName", "a b", "Project name"], ["namespace", "ns/../kube-system", "Namespace name"], ["appNamespace", "UPPER", "App namespace name"]] as const) {
    assert.throws(() => parseTerminalQuery({ ...full, [key]: value }), (e: unknown) => e instanceof TerminalRequestError && e.status === 400 && e.message.startsWith(`${what} is not valid`), `${key}=${value} is refused naming it`);
  }
  assert.throws(() => parseTerminalQuery({ ...full, pod: ["a", "b"] }), /query parameter "pod" given 2 times/);
});

test("exec.enabled and exec.shells as argocd-cm holds them", () => {
  assert.equal(execEnabled({ "exec.enabled": "true" }), true);
  for (const v of [undefined, "True", "yes", "1", "false"]) assert.equal(execEnabled(v === undefined ? {} : { "exec.enabled": v }), false, `exec.enabled ${String(v)} is off`);
  assert.equal(execEnabled(undefined), false, "no argocd-cm: off");
  assert.deepEqual(allowedShells(undefined), [...DEFAULT_SHELLS]);
  assert.deepEqual(DEFAULT_SHELLS, ["bash", "sh", "powershell", "cmd"], "Argo's default order");
  assert.deepEqual(allowedShells({ "exec.shells": " sh , ,bash" }), ["sh", "bash"], "trimmed, blanks dropped, order kept");
  assert.deepEqual(allowedShells({ "exec.shells": " , " }), [...DEFAULT_SHELLS], "nothing listed: the default");
});

test("shellsToTry: a requested shell must be listed; none requested tries the list in order", () => {
  assert.deepEqual(shellsToTry(["bash", "sh"], undefined), ["bash", "sh"]);
  assert.deepEqual(shellsToTry(["bash", "sh"], "sh"), ["sh"], "only the asked-for shell, not the others after it");
  assert.throws(() => shellsToTry(["bash", "sh"], "/bin/zsh"), (e: unknown) => e instanceof TerminalRequestError && e.status === 400 && e.message === "shell \"/bin/zsh\" is not allowed: argocd-cm exec.shells is \"bash,sh\"");
});

test("parseClientMessage: Argo's stdin and resize messages, anything else refused with a reason", () => {
  assert.deepEqual(parseClientMessage('{"operation":"stdin","data":"ls\\n","rows":0,"cols":0}'), { operation: "stdin", data: "ls\n" });
  assert.deepEqual(parseClientMessage('{"operation":"resize","rows":40,"cols":120}'), { operation: "resize", rows: 40, cols: 120 });
  assert.throws(() => parseClientMessage("ls"), /must be JSON/);
  assert.throws(() => parseClientMessage("[1]"), /must be a JSON object/);
  assert.throws(() => parseClientMessage('{"operation":"stdin"}'), /stdin message needs a string "data"/);
  assert.throws(() => parseClientMessage('{"operation":"resize","rows":0,"cols":80}'), /"rows" between 1 and 65535, got 0/);
  assert.throws(() => parseClientMessage('{"operation":"resize","rows":24,"cols":70000}'), /"cols" between 1 and 65535, got 70000/);
  assert.throws(() => parseClientMessage('{"operation":"stdout","data":"x"}'), /unknown terminal operation "stdout"/);
});

test("stdoutMessage is Argo's TerminalMessage (rows and cols are not omitted)", () => {
  assert.deepEqual(JSON.parse(stdoutMessage("héllo\r\n")), { operation: "stdout", data: "héllo\r\n", rows: 0, cols: 0 });
});

test("isShellNotFound: the runtimes' words for a missing executable, not a failing command", () => {
  assert.equal(isShellNotFound('exec: "bash": executable file not found in $PATH'), true);
  assert.equal(isShellNotFound("OCI runtime exec failed: exec failed: unable to start container process: exec: \"powershell\": executable file not found in $PATH: unknown"), true);
  assert.equal(isShellNotFound("fork/exec /bin/cmd: no such file or directory"), true);
  assert.equal(isShellNotFound("command terminated with non-zero exit code: error executing command [sh], exit code 2"), false);
});
