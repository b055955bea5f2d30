import { test } from "node:test";
import assert from "node:assert/strict";
import { chartNameProblem, cleanSetParameter, helmPullArgs, helmRegistryLoginArgs, helmTemplateArgs, ociReferenceProblem, type HelmPullOptions } from "./args.js";

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
  assert.deepEqual(helmRegistryLoginArgs({ repoURL: "oci://reg.example.com:5000/charts", username: "u", plainHttp: true }),
    ["registry", "login", "reg.example.com:5000", "--username", "u", "--password-stdin", "--plain-http"], "insecureOCIForceHttp");
});

test("chartNameProblem: chart names are accepted, traversal, flags and odd characters refused", () => {
  const ok: Array<[string, boolean]> = [["redis", false], ["my-chart_2.x", false], ["Nginx", false], ["bitnami/redis", true], ["a/b/c", true]];
  for (const [name, oci] of ok) assert.equal(chartNameProblem(name, oci), undefined, `${name} (oci ${oci}) is a chart name`);
  const bad: Array<[string, boolean, RegExp]> = [
    ["", false, /must not be empty/],
    ["../etc", false, /without "\/"/],
    ["../etc", true, /"\.\.\/etc" is not a chart name/],
    ["..", false, /not a chart name/],
    [".hidden", true, /not a chart name/],
    ["a/../b", true, /not a chart name/],
    ["/abs", true, /not a chart name/],
    ["a//b", true, /not a chart name/],
    ["--help", false, /not a chart name/],
    ["-x", true, /not a chart name/],
    ["a b", false, /not a chart name/],
    ["a\\b", false, /not a chart name/],
    ["a;rm", false, /not a chart name/],
    ["bitnami/redis", false, /without "\/"/],
  ];
  for (const [name, oci, why] of bad) assert.match(chartNameProblem(name, oci) ?? "", why, `${JSON.stringify(name)} (oci ${oci}) is refused`);
});

test("ociReferenceProblem: a registry reference is host, port and repository path; credentials are refused without repeating them", () => {
  for (const url of ["oci://registry.example.com/charts", "oci://127.0.0.1:5000", "oci://127.0.0.1:5000/", "oci://ghcr.io/org/sub-team/charts", "oci://r.example/a__b/c.d"]) {
    assert.equal(ociReferenceProblem(url), undefined, `${url} is a reference`);
  }
  const bad: Array<[string, RegExp]> = [
    ["https://registry.example.com", /must start with oci:\/\//],
    ["oci://user:s3cret-in-url@registry.example.com/charts", /must not carry credentials/],
    ["oci://registry.example.com/charts?x=1", /query or fragment/],
    ["oci://registry.example.com/charts#f", /query or fragment/],
    ["oci:///charts", /no registry host|not a valid URL/],
    ["oci://registry.example.com/Charts", /not an OCI repository name/],
    ["oci://registry.example.com/a/../b", /not an OCI repository name/],
    ["oci://registry.example.com/a//b", /not an OCI repository name/],
    ["oci://[bad", /not a valid URL/],
  ];
  for (const [url, why] of bad) {
    const problem = ociReferenceProblem(url) ?? "";
    assert.match(problem, why, `${url} is refused`);
    assert.ok(!problem.includes("s3cret-in-url"), `the message does not repeat the URL's password: ${problem}`);
  }
});
