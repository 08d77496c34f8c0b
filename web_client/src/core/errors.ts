import type { ErrorCode, RefusalReason } from "../protocol/types";

/** The server refused a request; `code` is the wire error code. */
export class SocialSyncError extends Error {
  readonly code: ErrorCode;
  readonly answer: Record<string, unknown>;
  readonly retryAfter?: number;
  /** What exactly was refused (protocol 1.4), e.g. `"cameras_full"`, for words of your own;
   * `params` are the numbers the server's English message quotes (`{max: 8}`). */
  readonly reason?: RefusalReason;
  readonly params: Readonly<Record<string, string | number>>;

  constructor(code: ErrorCode, message: string, answer: Record<string, unknown> = {}) {
    super(`${code}: ${message}`);
    this.name = "SocialSyncError";
    this.code = code;
    this.answer = answer;
    const error = answer.error as { retry_after?: number; reason?: RefusalReason;
      params?: Record<string, string | number> } | undefined;
    this.retryAfter = error?.retry_after;
    this.reason = error?.reason;
    this.params = error?.params ?? {};
  }
}
