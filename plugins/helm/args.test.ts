import { test } from "node:test";
import assert from "node:assert/strict";
import { cleanSetParameter, helmPullArgs, helmRegistryLoginArgs, helmTemplateArgs, type HelmPullOptions } from "./args.js";

const base = { chartDir: "/c", releaseName: "r", valueFiles: [], parameters: [], fileParameters: [] };

test("helmTemplateArgs: table", () => {
  const cases: Array<[string, Parameters<typeof helmTemplateArgs>[0], string[]]> = [
    ["minimal: CRDs included by default", base, ["template", "/c", "--name-template", "r", "--include-crds"]],
    ["namespace, kube version, api versions", { ...base, namespace: "ns", kubeVersion: "1.30.0", apiVersions: ["a/v1", "b/v2"] },
      ["template", "/c", "--name-template", "r", "--namespace", "ns", "--kube-version", "1.30.0", "--api-versions", "a/v1", "--api-versions", "b/v2", "--include-crds"]],
    ["value files in order, inline values last, then --set flags", {
      ...base, valueFiles: ["/c/a.yaml", "https://x/b.yaml"], inlineValuesFile: "/t/v.yaml",
      parameters: [{ name: "a", value: "1" }, { name: "b", value: "2", forceString: true }], fileParameters: [{ name: "f", path: "/c/f.txt" }],
    }, ["template", "/c", "--name-template", "r", "--values", "/c/a.yaml", "--values", "https://x/b.yaml", "--values", "/t/v.yaml",
      "--set", "a=1", "--set-string", "b=2", "--set-file", "f=/c/f.txt", "--include-crds"]],
    ["skip flags and pass credentials", { ...base, skipCrds: true, skipTests: true, skipSchemaValidation: true, passCredentials: true },
      ["template", "/c", "--name-template", "r", "--skip-schema-validation", "--skip-tests", "--pass-credentials"]],
  ];
  for (const [name, input, expected] of cases) assert.deepEqual(helmTemplateArgs(input), expected, name);
});

test("cleanSetParameter escapes commas except in {list} values", () => {
  const cases: Array<[string, string]> = [["a,b", "a\\,b"], ["a\\,b", "a\\,b"], ["{a,b}", "{a,b}"], ["plain", "plain"], [",", "\\,"]];
  for (const [input, expected] of cases) assert.equal(cleanSetParameter(input), expected, input);
});

test("helmPullArgs: http repository and oci registry", () => {
  assert.deepEqual(helmPullArgs({ repoURL: "https://charts.example.com", chart: "redis", version: "18.6.1", destDir: "/d" }),
    ["pull", "redis", "--repo", "https://charts.example.com", "--version", "18.6.1", "--untar", "--untardir", "/d"]);
  assert.deepEqual(helmPullArgs({ repoURL: "oci://reg.example.com/charts/", chart: "nginx", version: "1.0.0", destDir: "/d", username: "u", passCredentials: true }),
    ["pull", "oci://reg.example.com/charts/nginx", "--version", "1.0.0", "--untar", "--untardir", "/d", "--pass-credentials"]);
  assert.deepEqual(helmPullArgs({ repoURL: "https://charts.example.com", chart: "redis", version: "1.0.0", destDir: "/d", insecureSkipTLSVerify: true, certFile: "/t/c.crt", keyFile: "/t/c.key" }),
    ["pull", "redis", "--repo", "https://charts.example.com", "--version", "1.0.0", "--untar", "--untardir", "/d", "--insecure-skip-tls-verify", "--cert-file", "/t/c.crt", "--key-file", "/t/c.key"]);
});

test("a registry password never reaches helm's argv: pull ignores one, login reads it from stdin", () => {
  // A caller passing a whole credential object (as the chart cache does) must not leak the password.
  const withPassword = { repoURL: "oci://reg.example.com/charts", chart: "nginx", version: "1.0.0", destDir: "/d", username: "u", password: "s3cret-registry-pw" } as HelmPullOptions;
  const pull = helmPullArgs(withPassword);
  assert.ok(!pull.some((a) => a.includes("s3cret-registry-pw")) && !pull.includes("--password"), `no password in ${pull.join(" ")}`);
  assert.deepEqual(helmRegistryLoginArgs({ repoURL: "oci://reg.example.com:5000/charts", username: "u", insecureSkipTLSVerify: true }),
    ["registry", "login", "reg.example.com:5000", "--username", "u", "--password-stdin", "--insecure"]);
});
