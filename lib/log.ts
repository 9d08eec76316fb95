/** Structured JSON logs, one object a line on stdout (stderr for errors). @module */

/** Log levels, least to most severe; `silent` logs nothing. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** A minimal structured logger. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * What {@link redact} hides, in one alternation so a line is scanned once: UUIDs (session ids are
 * capabilities; client and event ids share the shape), JWTs (`eyJ` opens every base64url JSON
 * header) and the value after `Bearer`. The token character sets exclude `"` and `\`, so a
 * replacement never eats into the JSON around it.
 */
const SECRET =
  /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(eyJ[\w-]*\.[\w-]*\.[\w-]*)|\b(bearer\s+)[\w.~+/=-]+/gi;

/**
 * Replaces UUIDs with `:id`, JWT-shaped strings with `:token` and bearer credentials with
 * `Bearer :token`. Owner names have no shape to recognize: call sites must never log them.
 */
export function redact(text: string): string {
  return text.replace(
    SECRET,
    (_, uuid?: string, jwt?: string, bearer?: string) =>
      uuid ? ":id" : jwt ? ":token" : `${bearer}:token`,
  );
}

/**
 * Creates a logger that drops records below `level`. Every line passes through {@link redact}
 * once it is serialized (message, fields, error text and stack alike): defence in depth behind
 * call sites that already log no ids, for the text they do not control (a library's error).
 */
export function createLogger(level: LogLevel): Logger {
  const write =
    (lvl: Exclude<LogLevel, "silent">) => (message: string, fields?: Record<string, unknown>) => {
      if (RANK[lvl] < RANK[level]) return;
      const line = redact(JSON.stringify({
        time: new Date().toISOString(),
        level: lvl,
        message,
        ...fields,
      }));
      if (lvl === "error") console.error(line);
      else console.log(line);
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

/** Describes an unknown thrown value for the log, never for a client. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { error: error.message, errorName: error.name, stack: error.stack };
  }
  return { error: String(error) };
}
