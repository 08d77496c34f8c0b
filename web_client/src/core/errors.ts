import type { ErrorCode } from "../protocol/types";

/** The server refused a request; `code` is the wire error code. */
export class SocialSyncError extends Error {
  readonly code: ErrorCode;
  readonly answer: Record<string, unknown>;
  readonly retryAfter?: number;

  constructor(code: ErrorCode, message: string, answer: Record<string, unknown> = {}) {
    super(`${code}: ${message}`);
    this.name = "SocialSyncError";
    this.code = code;
    this.answer = answer;
    const error = answer.error as { retry_after?: number } | undefined;
    this.retryAfter = error?.retry_after;
  }
}
