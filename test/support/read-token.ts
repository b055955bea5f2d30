// Reads the pod's service-account token path through runTool with the default sandbox settings
// (or with isolation turned off when HAWSER_TEST_ISOLATION=none) and prints what the tool saw, as
// JSON. plugins/sandbox.test.ts runs it in a mount namespace where that path holds a sentinel.
import { baseToolEnv, runTool } from "../../plugins/exec.js";
import { configureSandbox } from "../../plugins/sandbox.js";

const TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";
if (process.env.HAWSER_TEST_ISOLATION === "none") configureSandbox({ isolation: "none" });
const { stdout } = await runTool("/bin/sh", ["-c", 'cat "$0" 2>&1 || true', TOKEN], { env: baseToolEnv() });
process.stdout.write(`${JSON.stringify({ seen: stdout })}\n`);
