// Builds the Web UI into dist/ui, which `hawser server` serves at `/` (operator/server/services/ui.ts).
// base "./" makes every asset URL relative, so one build works under any --basehref: the server
// writes `<base href>` into index.html and the browser resolves assets and API calls against it.
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "./",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/ui", import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    // One chunk per entry keeps the first paint to two requests (the app is small).
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npx vite ui` for UI work against a running `hawser server --insecure` on :8080.
    proxy: { "/api": "http://127.0.0.1:8080", "/auth": "http://127.0.0.1:8080" },
  },
});
