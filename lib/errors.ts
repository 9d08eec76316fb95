/**
 * The error vocabulary of the service. Services throw these; every transport (REST, HTML pages,
 * MCP, WebSocket) maps them with {@link httpStatusOf} so one mistake reads the same everywhere.
 * Messages are written for the caller: they never carry internal text, stacks or tokens.
 * @module
 */

/** Stable error codes of the public contract (contract §3). */
export type ErrorCode =
  | "INVALID_REQUEST"
  | "UNAUTHORIZED"
  | "SESSION_NOT_FOUND"
  | "NOT_FOUND"
  | "NO_FEEDBACK_AVAILABLE"
  | "METHOD_NOT_ALLOWED"
  | "ALREADY_SUBMITTED"
  | "SESSION_EXPIRED"
  | "SESSION_CANCELLED"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "RATE_LIMITED"
  | "QUOTA_EXCEEDED"
  | "INTERNAL_ERROR"
  | "SERVICE_UNAVAILABLE";

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  SESSION_NOT_FOUND: 404,
  NOT_FOUND: 404,
  NO_FEEDBACK_AVAILABLE: 404,
  METHOD_NOT_ALLOWED: 405,
  ALREADY_SUBMITTED: 409,
  SESSION_EXPIRED: 410,
  SESSION_CANCELLED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

/** The HTTP status that goes with an error code. */
export function httpStatusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

/** Extra facts a client can act on, such as the offending field. */
export type ErrorDetails = Record<string, unknown>;

/** Base class: an expected failure with a stable code and a message safe to show a client. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One rule an input broke. */
export interface FieldIssue {
  field: string;
  reason: string;
}

/** Input that breaks one or more rules; `details.field` names the first, `details.issues` all. */
export class ValidationError extends AppError {
  constructor(readonly issues: FieldIssue[]) {
    const [first] = issues;
    super(
      "INVALID_REQUEST",
      issues.map((i) => `${i.field}: ${i.reason}`).join("; "),
      { field: first?.field, reason: first?.reason, issues },
    );
  }

  /** A validation error with a single issue. */
  static of(field: string, reason: string): ValidationError {
    return new ValidationError([{ field, reason }]);
  }
}

/** A session that does not exist, or belongs to someone else (the two are indistinguishable). */
export class SessionNotFoundError extends AppError {
  constructor() {
    super("SESSION_NOT_FOUND", "No feedback session with this id exists.");
  }
}

/** The session was already answered. */
export class AlreadySubmittedError extends AppError {
  constructor() {
    super("ALREADY_SUBMITTED", "This feedback session has already been answered.");
  }
}

/** The session is over: it expired or its owner withdrew it. */
export class SessionGoneError extends AppError {
  constructor(readonly status: "expired" | "cancelled") {
    super(
      status === "expired" ? "SESSION_EXPIRED" : "SESSION_CANCELLED",
      status === "expired"
        ? "This feedback session has expired and no longer accepts answers."
        : "This feedback session was withdrawn by the person who asked.",
    );
  }
}

/** The result was asked for but there is none (yet); `details.status` says why. */
export class NoFeedbackError extends AppError {
  constructor(readonly status: string) {
    super(
      "NO_FEEDBACK_AVAILABLE",
      status === "pending"
        ? "No answer yet: the session is still pending."
        : `No answer is available: the session is ${status}.`,
      { status },
    );
  }
}

/** Missing or invalid credentials. `tokenPresented` tells a bad token from no token at all. */
export class UnauthorizedError extends AppError {
  constructor(message = "A valid bearer token is required.", readonly tokenPresented = true) {
    super("UNAUTHORIZED", message);
  }
}

/** Turns anything thrown into an {@link AppError}; unknown errors become a generic 500. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError(
    "INTERNAL_ERROR",
    "An internal error occurred. Please try again.",
    undefined,
    {
      cause: error,
    },
  );
}
