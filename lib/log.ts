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

/** Creates a logger that drops records below `level`. */
export function createLogger(level: LogLevel): Logger {
  const write =
    (lvl: Exclude<LogLevel, "silent">) => (message: string, fields?: Record<string, unknown>) => {
      if (RANK[lvl] < RANK[level]) return;
      const line = JSON.stringify({
        time: new Date().toISOString(),
        level: lvl,
        message,
        ...fields,
      });
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
