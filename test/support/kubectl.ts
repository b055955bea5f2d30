// kubectl for tests that need the real client (its client-side apply, which no library call
// reproduces): the one hack/build-binaries.sh builds beside the control plane, at its version.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { cacheDir, isExecutable, MissingBinaryError, versions } from "../../operator/tools/index.js";

export async function kubectlPath(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = join(cacheDir(env), "bin", `kubernetes-v${versions(env).kubernetes}`, "kubectl");
  if (!(await isExecutable(path))) throw new MissingBinaryError([path], "run `bash hack/build-binaries.sh kubectl` to build it from Go modules");
  return path;
}

/** Runs kubectl against a cluster; rejects with its stderr. */
export async function kubectl(kubeconfig: string, args: string[]): Promise<string> {
  const bin = await kubectlPath();
  return new Promise((resolve, reject) => {
    execFile(bin, ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(" ")}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}
