// API errors as Argo's gRPC gateway writes them: {"error","code","message"} with the HTTP status
// the gateway maps each gRPC code to (argo-cd-server.md §1.1), and Kubernetes API errors turned
// into the gRPC code Argo would use.
import { KubeApiError } from "../../kube/client.js";

/** gRPC status codes. */
export const Code = {
  OK: 0, Canceled: 1, Unknown: 2, InvalidArgument: 3, DeadlineExceeded: 4, NotFound: 5, AlreadyExists: 6,
  PermissionDenied: 7, ResourceExhausted: 8, FailedPrecondition: 9, Aborted: 10, OutOfRange: 11,
  Unimplemented: 12, Internal: 13, Unavailable: 14, DataLoss: 15, Unauthenticated: 16,
} as const;
export type GrpcCode = (typeof Code)[keyof typeof Code];

const HTTP_STATUS: Record<GrpcCode, number> = {
  0: 200, 1: 408, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 11: 400,
  12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
};

export function httpStatusOf(code: GrpcCode): number {
  return HTTP_STATUS[code];
}

/** An error the API answers with as-is. Its message must never hold a secret. */
export class ApiError extends Error {
  constructor(readonly code: GrpcCode, message: string) {
    super(message);
    this.name = "ApiError";
  }
  get httpStatus(): number { return httpStatusOf(this.code); }
  toJSON(): { error: string; code: number; message: string } {
    return { error: this.message, code: this.code, message: this.message };
  }
}

export const unauthenticated = (message = "no session information"): ApiError => new ApiError(Code.Unauthenticated, message);
export const invalidArgument = (message: string): ApiError => new ApiError(Code.InvalidArgument, message);
export const notFound = (message: string): ApiError => new ApiError(Code.NotFound, message);
export const failedPrecondition = (message: string): ApiError => new ApiError(Code.FailedPrecondition, message);

/** Argo's RBAC denial: "permission denied: <res>, <act>, <obj>, sub: <subject>, iat: <RFC3339>". */
export function permissionDenied(resource: string, action: string, object: string, subject?: string, iat?: number): ApiError {
  let message = `permission denied: ${resource}, ${action}, ${object}`;
  if (subject !== undefined && subject !== "") {
    message += `, sub: ${subject}`;
    if (iat !== undefined) message += `, iat: ${new Date(iat * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")}`;
  }
  return new ApiError(Code.PermissionDenied, message);
}

const KUBE_REASONS: Record<string, GrpcCode> = {
  NotFound: Code.NotFound, AlreadyExists: Code.AlreadyExists, Invalid: Code.InvalidArgument,
  MethodNotAllowed: Code.Unimplemented, ServiceUnavailable: Code.Unavailable, ServerTimeout: Code.Unavailable,
  BadRequest: Code.FailedPrecondition, Unauthorized: Code.Unauthenticated, Forbidden: Code.PermissionDenied,
  Timeout: Code.DeadlineExceeded, Conflict: Code.Aborted, TooManyRequests: Code.ResourceExhausted,
  InternalError: Code.Internal,
};

/** Any error → ApiError: ApiErrors pass, Kubernetes errors map by reason, the rest is Unknown. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof KubeApiError) return new ApiError(KUBE_REASONS[err.reason] ?? Code.Unknown, err.message);
  return new ApiError(Code.Unknown, err instanceof Error ? err.message : String(err));
}
