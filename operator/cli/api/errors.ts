// How a failed server call reads on the command line: the server's own message, with a hint where
// the fix is on the user's side.
import { errorMessage } from "../../util/index.js";
import { ApiRequestError } from "./client.js";
import { StreamError } from "./ndjson.js";

export function cliErrorMessage(err: unknown): string {
  const message = errorMessage(err);
  const status = err instanceof ApiRequestError ? err.httpStatus : err instanceof StreamError ? err.httpCode : undefined;
  if (status === 401) return `${message} (log in again: hawser login SERVER, or give --auth-token)`;
  return message;
}
