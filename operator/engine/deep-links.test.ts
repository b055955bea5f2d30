// Reading argocd-cm's deep-link settings (Argo's format) and which rendered URLs may be shown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DeepLinkSettingError, deepLinkVars, parseDeepLinks, safeLinkUrl } from "./deep-links.js";

test("parses Argo's list of {url, title, description, icon.class, if}", () => {
  const cm = {
    "application.links": `- url: https://logs.example/?ns={{.app.spec.destination.namespace}}
  title: Logs
  description: the app's logs
  icon.class: fa-book
  if: app.spec.project == "default"
- url: https://grafana.example/
  title: Grafana
`,
  };
  assert.deepEqual(parseDeepLinks(cm, "application"), [
    { title: "Logs", url: "https://logs.example/?ns={{.app.spec.destination.namespace}}", description: "the app's logs", iconClass: "fa-book", condition: `app.spec.project == "default"` },
    { title: "Grafana", url: "https://grafana.example/" },
  ]);
  assert.deepEqual(parseDeepLinks(cm, "project"), [], "an unset key has no links");
  assert.deepEqual(parseDeepLinks({ "resource.links": "  \n" }, "resource"), [], "an empty value has none");
});

test("a bad setting is an error naming the key, the entry and the field", () => {
  const bad = (value: string, message: RegExp): void => {
    assert.throws(() => parseDeepLinks({ "resource.links": value }, "resource"), (err: unknown) => err instanceof DeepLinkSettingError && message.test(err.message), `${JSON.stringify(value)} → ${message}`);
  };
  bad("- url: [", /argocd-cm resource\.links is not valid YAML/);
  bad("url: https://x/", /argocd-cm resource\.links must be a YAML list/);
  bad("- title: X", /argocd-cm resource\.links\[0\]\.url is required/);
  bad("- url: https://x/\n  title: X\n- url: https://y/", /resource\.links\[1\]\.title is required/);
  bad("- url: https://x/\n  title: 3", /resource\.links\[0\]\.title must be a non-empty string/);
  bad("- url: https://x/\n  title: X\n  icon: fa", /resource\.links\[0\] has an unknown field "icon"/);
  bad("- just a string", /resource\.links\[0\] must be a mapping/);
});

test("only absolute URLs and local paths are shown, never script URLs", () => {
  assert.equal(safeLinkUrl("https://grafana.example/d/x?var=a"), true);
  assert.equal(safeLinkUrl("/applications/argocd/web"), true);
  assert.equal(safeLinkUrl("javascript:alert(1)"), false);
  assert.equal(safeLinkUrl(" JavaScript:alert(1)"), false, "scheme case and spaces do not help");
  assert.equal(safeLinkUrl("data:text/html,x"), false);
  assert.equal(safeLinkUrl("//evil.example/"), false, "a scheme-relative URL is not a local path");
  assert.equal(safeLinkUrl("not a url"), false);
});

test("the variables: app and application are the same object; absent parts are left out", () => {
  const app = { metadata: { name: "web" } };
  const vars = deepLinkVars({ app, cluster: { name: "in-cluster", server: "https://kubernetes.default.svc" } });
  assert.equal(vars.app, app);
  assert.equal(vars.application, app);
  assert.deepEqual(Object.keys(vars).sort(), ["app", "application", "cluster"]);
});
