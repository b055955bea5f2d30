// The webhook server alone in a process of its own, with the default limits and no secret (the
// configuration that parses every body), so that a test can measure this process's peak memory.
// Prints the port; exits when stdin closes.
import { createLogger } from "../../runtime/logger.js";
import { startWebhookServer } from "../server.js";

const server = await startWebhookServer({ host: "127.0.0.1", port: 0, secrets: () => ({}), onPush: () => undefined, log: createLogger({ level: "error" }) });
process.stdout.write(`${server.port}\n`);
process.stdin.resume();
process.stdin.on("end", () => void server.close());
