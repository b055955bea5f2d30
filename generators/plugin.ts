// The plugin generator (Argo applicationset/generators/plugin.go and services/plugin): parameters
// come from an HTTP service named by a ConfigMap with `baseUrl`, `token` (`$secret:key`, or `$key`
// in argocd-secret) and `requestTimeout` (seconds, default 30). The request is
// POST <baseUrl>/api/v1/getparams.execute with a Bearer token and
// {"applicationSetName", "input": {"parameters"}}; the answer is {"output": {"parameters": [...]}}.
import { redact, registerSecret } from "../operator/runtime/redact.js";
import { flattenParams } from "./params.js";
import { GeneratorError, type Generator, type GeneratorContext, type Params } from "./types.js";
import { appendTemplatedValues } from "./values.js";
import { errorMessage, isRecord } from "../operator/util/index.js";

/** Argo's default for the plugin generator: 30 minutes. */
export const DEFAULT_PLUGIN_REQUEUE_MS = 30 * 60_000;
const DEFAULT_TIMEOUT_S = 30;
const MAX_RESPONSE_BYTES = 16 << 20;

interface PluginSpec {
  configMapRef: { name: string };
  input?: { parameters?: Record<string, unknown> };
  values?: Record<string, string>;
  requeueAfterSeconds?: number;
  template?: Record<string, unknown>;
}

function asSpec(spec: unknown): PluginSpec {
  if (!isRecord(spec) || !isRecord(spec.configMapRef) || typeof spec.configMapRef.name !== "string" || spec.configMapRef.name === "") {
    throw new GeneratorError("plugin generator: configMapRef.name is required");
  }
  return spec as unknown as PluginSpec;
}

/** Argo's ParseSecretKey: `$name:key` → (name, key); `$key` → (argocd-secret, key). */
export function parseSecretRef(ref: string): { secretName: string; key: string } {
  const body = ref.slice(1);
  const colon = body.indexOf(":");
  if (colon >= 0) return { secretName: body.slice(0, colon), key: body.slice(colon + 1) };
  return { secretName: "argocd-secret", key: body };
}

async function token(ctx: GeneratorContext, ref: string | undefined, cmName: string): Promise<string> {
  if (!ref || !ref.startsWith("$")) {
    throw new GeneratorError(`plugin generator: ConfigMap ${cmName}: token is empty, or does not reference a secret key starting with '$'`);
  }
  const { secretName, key } = parseSecretRef(ref);
  const secret = await ctx.kube?.getSecret(secretName);
  if (!secret) throw new GeneratorError(`plugin generator: the token's Secret ${secretName} was not found`);
  const value = secret[key];
  if (value === undefined) throw new GeneratorError(`plugin generator: Secret ${secretName} has no key ${key}`);
  registerSecret(value.trim());
  return value.trim();
}

export const pluginGenerator = {
  name: "plugin",
  async generate(spec: unknown, ctx: GeneratorContext): Promise<Params[]> {
    const s = asSpec(spec);
    if (!ctx.kube) throw new GeneratorError("plugin generator: no ConfigMap/Secret access is configured");
    const cmName = s.configMapRef.name;
    const cm = await ctx.kube.getConfigMap(cmName);
    if (!cm) throw new GeneratorError(`plugin generator: ConfigMap ${cmName} was not found`);
    const baseUrl = cm.baseUrl;
    if (!baseUrl) throw new GeneratorError(`plugin generator: ConfigMap ${cmName} has no baseUrl`);
    let timeoutS = DEFAULT_TIMEOUT_S;
    if (cm.requestTimeout !== undefined) {
      timeoutS = Number(cm.requestTimeout);
      if (!Number.isInteger(timeoutS) || timeoutS <= 0) throw new GeneratorError(`plugin generator: ConfigMap ${cmName}: requestTimeout must be a whole number of seconds, got "${cm.requestTimeout}"`);
    }
    const bearer = await token(ctx, cm.token, cmName);
    const inputParams = s.input?.parameters ?? {};
    const url = `${baseUrl.replace(/\/+$/, "")}/api/v1/getparams.execute`;
    const signals = [AbortSignal.timeout(timeoutS * 1000), ...(ctx.signal ? [ctx.signal] : [])];
    let text: string;
    let status: number;
    try {
      const res = await (ctx.fetch ?? fetch)(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ applicationSetName: ctx.appSet.metadata.name ?? "", input: { parameters: inputParams } }),
        signal: AbortSignal.any(signals),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const why = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError") ? `no answer within ${timeoutS}s` : errorMessage(err);
      throw new GeneratorError(redact(`plugin generator: request to ${url} failed: ${why}`));
    }
    if (text.length > MAX_RESPONSE_BYTES) throw new GeneratorError(`plugin generator: the answer of ${url} is larger than ${MAX_RESPONSE_BYTES} bytes`);
    if (status !== 200) throw new GeneratorError(redact(`plugin generator: ${url} answered HTTP ${status}: ${text.slice(0, 300)}`));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new GeneratorError(`plugin generator: the answer of ${url} is not JSON`);
    }
    const list = isRecord(body) && isRecord(body.output) ? body.output.parameters : undefined;
    if (!Array.isArray(list) || list.some((p) => !isRecord(p))) {
      throw new GeneratorError(`plugin generator: the answer of ${url} must be {"output": {"parameters": [ {...}, ... ]}}`);
    }
    const goTemplate = ctx.appSet.spec.goTemplate === true;
    const out: Params[] = [];
    for (const obj of list as Record<string, unknown>[]) {
      const params: Params = goTemplate ? { ...obj } : { ...flattenParams(obj) };
      // Argo hands the input back to the template as generator.input.parameters.
      params.generator = { input: { parameters: inputParams } };
      await appendTemplatedValues(s.values, params, ctx, "plugin");
      out.push(params);
    }
    return out;
  },
  requeueAfterMs(spec: unknown): number | undefined {
    return isRecord(spec) && typeof spec.requeueAfterSeconds === "number" ? spec.requeueAfterSeconds * 1000 : DEFAULT_PLUGIN_REQUEUE_MS;
  },
  template: (spec: unknown) => (isRecord(spec) && isRecord(spec.template) ? spec.template : undefined),
} satisfies Generator;
