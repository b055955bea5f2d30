// settings.help as the Help page reads it: argocd-cm's chat link and help.download.<os>-<arch> keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { helpSettings } from "./meta.js";

test("help settings: chat link and one binary URL per help.download.<platform> key", () => {
  const help = helpSettings({
    "help.chatUrl": "https://chat.example.com/gitops",
    "help.chatText": "Ask the platform team",
    "help.download.linux-amd64": "https://dl.example.com/hawser-linux-amd64",
    "help.download.darwin-arm64": "https://dl.example.com/hawser-darwin-arm64",
    "help.download.windows-amd64": "",
    "ui.bannercontent": "not help",
  });
  assert.deepEqual(help, {
    chatUrl: "https://chat.example.com/gitops",
    chatText: "Ask the platform team",
    binaryUrls: { "linux-amd64": "https://dl.example.com/hawser-linux-amd64", "darwin-arm64": "https://dl.example.com/hawser-darwin-arm64" },
  });
});

test("help settings: nothing configured gives an empty object (left out of the response)", () => {
  assert.deepEqual(helpSettings({ url: "https://cd.example.com" }), {});
});
