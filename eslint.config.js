// Lint rules: typescript-eslint's type-aware recommended set, the layers (imports point down the
// layers of hack/layers.mjs; operator/devcluster only for the dev cluster's command, demo and tests)
// and the engine purity boundary (operator/engine does no I/O). See docs/architecture.md;
// hack/check-imports.mjs (also in `npm run lint`) forbids import circles and checks the layers again.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { layersPlugin } from "./hack/layers.mjs";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "operator/api/generated/**", "**/*.mjs", "eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/explicit-function-return-type": ["error", { allowExpressions: true, allowTypedFunctionExpressions: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["operator/**/*.ts", "plugins/**/*.ts", "generators/**/*.ts"],
    plugins: { layers: layersPlugin },
    rules: { "layers/imports": "error" },
  },
  {
    files: ["**/*.test.ts", "test/**/*.ts", "bench/**/*.ts", "hack/**/*.ts"],
    rules: {
      "@typescript-eslint/explicit-function-return-type": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      // node:test's test() returns a promise the runner tracks itself.
      "@typescript-eslint/no-floating-promises": "off",
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    files: ["operator/engine/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: ["fs", "node:fs", "fs/promises", "node:fs/promises", "child_process", "node:child_process", "http", "node:http", "https", "node:https", "net", "node:net"],
        patterns: ["@kubernetes/*", "isomorphic-git*", "**/kube/*", "**/git/*", "**/runtime/*"],
      }],
    },
  },
);
