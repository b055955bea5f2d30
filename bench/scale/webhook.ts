// Sends the operator a GitHub-style push webhook, the way a git host announces a commit: the
// scenarios use it to trigger refreshes without writing anything to the apiserver (P3's no-op
// refresh) and to announce a commit (P2's update), as benchmarks.md's "webhook triggers" asks.
import type { SampledProcess } from "./scenario.js";

export interface PushOptions {
  /** The repository's clone URL, as the Applications name it. */
  repoUrl: string;
  /** The commit after the push. */
  after: string;
  branch?: string;
  /** Files the push changed (manifest-generate-paths); none listed = every app of the repo. */
  changedFiles?: string[];
}

export function githubPushPayload(o: PushOptions): Record<string, unknown> {
  return {
    ref: `refs/heads/${o.branch ?? "main"}`,
    after: o.after,
    repository: { html_url: o.repoUrl.replace(/\.git$/, ""), clone_url: o.repoUrl, default_branch: o.branch ?? "main" },
    commits: o.changedFiles ? [{ id: o.after, added: [], modified: o.changedFiles, removed: [] }] : [],
  };
}

export async function pushWebhook(op: SampledProcess, o: PushOptions): Promise<void> {
  const res = await fetch(await op.webhookUrl(), {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-GitHub-Event": "push" },
    body: JSON.stringify(githubPushPayload(o)),
  });
  const text = await res.text();
  if (res.status !== 200 || !text.startsWith("ok")) throw new Error(`webhook answered ${res.status}: ${text.trim()}`);
}
