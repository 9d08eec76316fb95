/**
 * Configuration: the environment variables of contract §2, parsed once at start-up.
 * A bad value stops the service with a message that names the variable.
 * @module
 */
import { z } from "zod";
import type { LogLevel } from "./log.ts";

/** Limits that govern feedback sessions. */
export interface FeedbackLimits {
  /** Seconds a session stays open when the caller names no timeout. */
  defaultTimeout: number;
  minTimeout: number;
  maxTimeout: number;
  /** Seconds a finished session, and its answer, stays readable. */
  retention: number;
  maxMessageLength: number;
  maxTitleLength: number;
  maxOptions: number;
  maxOptionLength: number;
  maxFreeTextLength: number;
  /** Serialized size limit of the creator's metadata, in bytes. */
  maxMetadataBytes: number;
  /** Serialized size limit of the answerer's metadata, in bytes. */
  maxSubmitMetadataBytes: number;
  /** `FEEDBACK_MAX_IMAGES`: images a question, and an answer, may each carry; 0 turns images off. */
  maxImages: number;
  /** `FEEDBACK_MAX_IMAGE_BYTES`: largest decoded size of one image, in bytes. */
  maxImageBytes: number;
}

/** JWT verification settings. */
export interface JwtConfig {
  secret: string;
  previousSecrets: string[];
  issuer?: string;
  audience?: string;
  /** Longest accepted token lifetime, `exp - iat`, in seconds. */
  maxTtl: number;
}

/** WebSocket limits of one instance (contract §5). */
export interface WsConfig {
  /** Most sockets one instance holds (session sockets and owner streams together). */
  maxSockets: number;
  /** Most sockets one instance holds on one session (and owner streams per owner). */
  maxSocketsPerSession: number;
  /** Seconds a socket may stay silent (no `ping`) before it is closed. */
  idleTimeout: number;
}

/** Requests allowed per minute and bucket; 0 turns a bucket's limit off. */
export interface RateLimits {
  create: number;
  read: number;
  submit: number;
  page: number;
}

/**
 * Caps per owner (one token subject); 0 turns a cap off. The pending cap protects storage, so it
 * is counted in KV across instances; the wait and socket caps protect one instance's memory and
 * sockets, so each instance counts its own.
 */
export interface OwnerQuotas {
  /** Pending sessions one owner may hold, across all instances. */
  maxPending: number;
  /** Waits one owner may hold at once on one instance (REST `result?wait` and MCP waits). */
  maxWaits: number;
  /** WebSockets one owner's sessions and owner streams may hold at once on one instance. */
  maxSockets: number;
  /**
   * `OWNER_MAX_IMAGE_BYTES`: bytes of images (questions' and answers') one owner's sessions may
   * hold in storage at once, across all instances (counted in KV).
   */
  maxImageBytes: number;
}

/** Limits of the MCP endpoint. */
export interface McpConfig {
  /**
   * Seconds a tool call without a progress token may hold waiting for an answer: below the 60 s
   * after which common clients (Claude Desktop, claude.ai, SDK-built clients, with `mcp-remote` in
   * between) give up on a silent request.
   */
  maxWait: number;
  /**
   * `MCP_PROGRESS_HOLD`: seconds a call that sent a progress token may hold (progress every
   * ≤ 15 s), at least `maxWait`, at most 240. It defaults to `maxWait` because the SDK's clients
   * (and so most hosts) keep their request timeout through progress unless told otherwise
   * (`resetTimeoutOnProgress` is off by default): a longer hold would time them out. Raise it only
   * for clients known to restart their timeout on progress.
   */
  progressHold: number;
}

/** Notification delivery (see `lib/notify/` and docs/notifications.md). */
export interface NotifyConfig {
  /** The operator's deployment-wide webhook: every owner's events; trusted as configured. */
  webhookUrl?: string;
  /** Its Standard Webhooks secret (`whsec_<base64>`); required with `webhookUrl`. */
  webhookSecret?: string;
  /** Let owner URLs use http and reach loopback, private and link-local addresses. */
  allowPrivate: boolean;
  /** At most one message per owner and human-facing channel in this many seconds (0: off). */
  coalesceSeconds: number;
  /** Delays before each retry of a failed delivery, in milliseconds; then it is given up. */
  retryScheduleMs: number[];
  /** Longest one HTTP attempt (each redirect hop) may take, in milliseconds. */
  timeoutMs: number;
  /** Milliseconds between sweeps of the outbox. */
  sweepIntervalMs: number;
  /** Web Push keys (RFC 8292); absent: no push, and the inbox says why. */
  vapid?: VapidConfig;
}

/** The server's VAPID identity for Web Push (docs/notifications.md, "Web Push"). */
export interface VapidConfig {
  /** base64url of the uncompressed P-256 public point (65 bytes): the `applicationServerKey`. */
  publicKey: string;
  /** base64url of the private scalar (32 bytes). */
  privateKey: string;
  /** `mailto:` or `https:` contact of the operator, sent to push services as the JWT's `sub`. */
  subject: string;
}

/** The whole typed configuration. */
export interface Config {
  port: number;
  hostname: string;
  /** Origin of every URL the service hands out, without a trailing slash. */
  publicBaseUrl: string;
  jwt: JwtConfig;
  /** KV location: a path, `:memory:`, a KV Connect URL, or undefined for Deno Deploy's managed KV. */
  kvPath?: string;
  feedback: FeedbackLimits;
  corsOrigins: string[];
  logLevel: LogLevel;
  /** Largest JSON body accepted, in bytes. */
  maxBodyBytes: number;
  /**
   * Largest body of a request that may carry images (REST create and submit, MCP, the page's
   * form post): {@link maxBodyBytes} plus the base64 of `maxImages` images at the byte limit.
   */
  maxImageBodyBytes: number;
  /** Requests per minute: create and read per owner, submit and page views per client address. */
  rateLimits: RateLimits;
  /** Take the client address from the last `X-Forwarded-For` entry (one trusted proxy in front). */
  trustProxy: boolean;
  ws: WsConfig;
  /** Per-owner caps on pending sessions, waits and sockets. */
  ownerQuotas: OwnerQuotas;
  /** Seconds between sweeps that expire sessions nobody watches. */
  expirySweepInterval: number;
  mcp: McpConfig;
  notify: NotifyConfig;
}

/** Raised when the environment holds a value the service cannot run with. */
export class ConfigError extends Error {}

const DURATION = /^(\d+)\s*(s|m|h|d)?$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Parses `90d`, `12h`, `30m`, `45s` or plain seconds into seconds. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[(match[2] ?? "s") as keyof typeof UNIT_SECONDS];
}

const positiveInt = z.coerce.number().int().positive();
const MIB = 1024 * 1024;
const list = z.string().transform((s) => s.split(",").map((v) => v.trim()).filter(Boolean));
const secret = z.string().refine((s) => new TextEncoder().encode(s).length >= 32, {
  message: "must be at least 32 bytes",
});

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOSTNAME: z.string().min(1).default("127.0.0.1"),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).refine(
    (u) => /^https?:\/\/[^/?#]+\/?$/.test(u),
    { message: "must be an origin such as https://feedback.example.com (no path or query)" },
  ).optional(),
  JWT_SECRET: secret,
  JWT_PREVIOUS_SECRETS: list.pipe(z.array(secret)).default([]),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_MAX_TTL: z.string().default("90d").transform((s, ctx) => {
    const seconds = parseDuration(s);
    if (!seconds) {
      ctx.addIssue({ code: "custom", message: "must be a duration such as 90d, 12h or 3600" });
      return z.NEVER;
    }
    return seconds;
  }),
  KV_PATH: z.string().min(1).optional(),
  FEEDBACK_DEFAULT_TIMEOUT: positiveInt.default(300),
  FEEDBACK_MIN_TIMEOUT: positiveInt.default(30),
  FEEDBACK_MAX_TIMEOUT: positiveInt.default(3600),
  FEEDBACK_RETENTION: positiveInt.default(86400),
  FEEDBACK_MAX_MESSAGE_LENGTH: positiveInt.max(100_000).default(8000),
  FEEDBACK_MAX_OPTIONS: positiveInt.max(100).default(10),
  FEEDBACK_MAX_OPTION_LENGTH: positiveInt.max(1000).default(100),
  FEEDBACK_MAX_FREE_TEXT_LENGTH: positiveInt.max(100_000).default(8000),
  FEEDBACK_MAX_IMAGES: z.coerce.number().int().min(0).max(20).default(4),
  FEEDBACK_MAX_IMAGE_BYTES: positiveInt.max(16 * MIB).default(2 * MIB),
  CORS_ORIGINS: list.default([]),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  WS_MAX_SOCKETS: positiveInt.max(1_000_000).default(10_000),
  WS_MAX_SOCKETS_PER_SESSION: positiveInt.max(10_000).default(20),
  WS_IDLE_TIMEOUT: positiveInt.max(86_400).default(300),
  EXPIRY_SWEEP_INTERVAL: positiveInt.max(3600).default(1),
  TRUST_PROXY: z.enum(["0", "1", "false", "true"]).default("0").transform((v) =>
    v === "1" || v === "true"
  ),
  RATE_LIMIT_CREATE: z.coerce.number().int().min(0).default(100),
  RATE_LIMIT_READ: z.coerce.number().int().min(0).default(1000),
  RATE_LIMIT_SUBMIT: z.coerce.number().int().min(0).default(10),
  RATE_LIMIT_PAGE: z.coerce.number().int().min(0).default(100),
  OWNER_MAX_PENDING: z.coerce.number().int().min(0).max(1_000_000).default(200),
  OWNER_MAX_WAITS: z.coerce.number().int().min(0).max(1_000_000).default(100),
  OWNER_MAX_SOCKETS: z.coerce.number().int().min(0).max(1_000_000).default(100),
  OWNER_MAX_IMAGE_BYTES: z.coerce.number().int().min(0).max(2 ** 50).default(256 * MIB),
  // 240 s is the longest any MCP call may hold, even with progress (see lib/mcp/wait.ts).
  MCP_MAX_WAIT: z.coerce.number().int().min(1).max(240).default(45),
  // Unset: a progress token earns no longer hold (SDK clients keep their timeout through progress).
  MCP_PROGRESS_HOLD: z.coerce.number().int().min(1).max(240).optional(),
  NOTIFY_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  NOTIFY_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/]{22,}={0,2}$/, {
    message: "must be whsec_ followed by a base64 key of at least 16 bytes",
  }).optional(),
  NOTIFY_ALLOW_PRIVATE: z.enum(["0", "1", "false", "true"]).default("0").transform((v) =>
    v === "1" || v === "true"
  ),
  NOTIFY_COALESCE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(30),
  // Seconds, comma-separated; fractions allowed so tests can run a schedule in milliseconds.
  NOTIFY_RETRY_SCHEDULE: list.transform((items) => items.map(Number))
    .pipe(z.array(z.number().positive().max(86_400)).max(20))
    .default([1, 5, 30, 120, 600]),
  NOTIFY_TIMEOUT: z.coerce.number().positive().max(60).default(5),
  NOTIFY_SWEEP_INTERVAL: z.coerce.number().positive().max(3600).default(1),
  VAPID_PUBLIC_KEY: z.string().trim().regex(/^B[A-Za-z0-9_-]{86}$/, {
    message: "must be the base64url (no padding) of a 65-byte uncompressed P-256 point",
  }).optional(),
  VAPID_PRIVATE_KEY: z.string().trim().regex(/^[A-Za-z0-9_-]{43}$/, {
    message: "must be the base64url (no padding) of a 32-byte P-256 private key",
  }).optional(),
  VAPID_SUBJECT: z.string().trim().regex(/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/, {
    message: "must be a mailto: address or an https: URL",
  }).optional(),
});

/** What one KV value may hold (64 KiB), less room for field names and encoding overhead. */
const KV_VALUE_BUDGET = 60_000;

/**
 * Bytes one image's manifest entry takes in its session record, besides its alt text (field
 * names, type, sizes, and the 36-character id of its chunks), rounded up.
 */
const IMAGE_MANIFEST_BYTES = 200;
/** Longest alt text of a question image (`MAX_ALT_LENGTH` of lib/images/types.ts). */
const ALT_BYTES = 300;

/**
 * Bytes a session record with its answer needs when every text is at its limit in plain ASCII
 * (one byte a character): message, title, options, creator metadata, free text, and the
 * combined feedback (options + free text again) and answer metadata, and the manifests of the
 * question's and the answer's images (their bytes live in chunks of their own). Text outside
 * Latin-1 takes two to four bytes a character; such oversized answers are refused with a 413 at
 * submit time.
 */
function storedSessionBytes(
  max: { message: number; options: number; freeText: number; images: number },
): number {
  const title = 120, metadata = 8 * 1024, submitMetadata = 2 * 1024;
  return max.message + title + max.options + metadata + max.freeText +
    (max.options + max.freeText) +
    submitMetadata +
    max.images * (IMAGE_MANIFEST_BYTES + ALT_BYTES) + max.images * IMAGE_MANIFEST_BYTES;
}

/** Base64 characters of `bytes` bytes, padded. */
const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);
/** Room per image in a body for its JSON field names, quotes and alt (or a multipart header). */
const IMAGE_BODY_OVERHEAD = 2048;

/**
 * Builds the configuration from environment variables (empty strings count as unset).
 * Throws {@link ConfigError} naming each variable that is wrong.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) =>
      `${String(issue.path[0])}: ${
        issue.path[0] === "JWT_SECRET" && issue.code === "invalid_type"
          ? "is required (at least 32 bytes; `deno task dev` creates one for local use)"
          : issue.message
      }`
    );
    throw new ConfigError(`Invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.FEEDBACK_MIN_TIMEOUT > e.FEEDBACK_MAX_TIMEOUT) {
    problems.push("FEEDBACK_MIN_TIMEOUT: must not exceed FEEDBACK_MAX_TIMEOUT");
  }
  if (
    e.FEEDBACK_DEFAULT_TIMEOUT < e.FEEDBACK_MIN_TIMEOUT ||
    e.FEEDBACK_DEFAULT_TIMEOUT > e.FEEDBACK_MAX_TIMEOUT
  ) {
    problems.push(
      "FEEDBACK_DEFAULT_TIMEOUT: must lie between FEEDBACK_MIN_TIMEOUT and FEEDBACK_MAX_TIMEOUT",
    );
  }
  const worstCase = storedSessionBytes({
    message: e.FEEDBACK_MAX_MESSAGE_LENGTH,
    options: e.FEEDBACK_MAX_OPTIONS * e.FEEDBACK_MAX_OPTION_LENGTH,
    freeText: e.FEEDBACK_MAX_FREE_TEXT_LENGTH,
    images: e.FEEDBACK_MAX_IMAGES,
  });
  if (worstCase > KV_VALUE_BUDGET) {
    problems.push(
      `FEEDBACK_MAX_MESSAGE_LENGTH, FEEDBACK_MAX_FREE_TEXT_LENGTH, FEEDBACK_MAX_OPTIONS, FEEDBACK_MAX_OPTION_LENGTH, FEEDBACK_MAX_IMAGES: a session and its answer at these limits need ${worstCase} bytes, above the ${KV_VALUE_BUDGET} a Deno KV value may hold; lower them`,
    );
  }
  if (e.NOTIFY_WEBHOOK_URL && !e.NOTIFY_WEBHOOK_SECRET) {
    problems.push(
      "NOTIFY_WEBHOOK_SECRET: required with NOTIFY_WEBHOOK_URL (whsec_ and a base64 key; receivers verify it)",
    );
  }
  if (Boolean(e.VAPID_PUBLIC_KEY) !== Boolean(e.VAPID_PRIVATE_KEY)) {
    problems.push("VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: set both (a key pair) or neither");
  }
  // Push services may contact the operator through the subject; an https base URL will do.
  const vapidSubject = e.VAPID_SUBJECT ??
    (e.PUBLIC_BASE_URL?.startsWith("https://") ? e.PUBLIC_BASE_URL : undefined);
  if (e.VAPID_PUBLIC_KEY && !vapidSubject) {
    problems.push(
      "VAPID_SUBJECT: required with VAPID keys unless PUBLIC_BASE_URL is https (mailto:you@example.com or an https URL)",
    );
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`);

  return {
    port: e.PORT,
    hostname: e.HOSTNAME,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    jwt: {
      secret: e.JWT_SECRET,
      previousSecrets: e.JWT_PREVIOUS_SECRETS,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      maxTtl: e.JWT_MAX_TTL,
    },
    kvPath: e.KV_PATH,
    feedback: {
      defaultTimeout: e.FEEDBACK_DEFAULT_TIMEOUT,
      minTimeout: e.FEEDBACK_MIN_TIMEOUT,
      maxTimeout: e.FEEDBACK_MAX_TIMEOUT,
      retention: e.FEEDBACK_RETENTION,
      maxMessageLength: e.FEEDBACK_MAX_MESSAGE_LENGTH,
      maxTitleLength: 120,
      maxOptions: e.FEEDBACK_MAX_OPTIONS,
      maxOptionLength: e.FEEDBACK_MAX_OPTION_LENGTH,
      maxFreeTextLength: e.FEEDBACK_MAX_FREE_TEXT_LENGTH,
      maxMetadataBytes: 8 * 1024,
      maxSubmitMetadataBytes: 2 * 1024,
      maxImages: e.FEEDBACK_MAX_IMAGES,
      maxImageBytes: e.FEEDBACK_MAX_IMAGE_BYTES,
    },
    corsOrigins: e.CORS_ORIGINS,
    logLevel: e.LOG_LEVEL,
    maxBodyBytes: 64 * 1024,
    maxImageBodyBytes: 64 * 1024 +
      e.FEEDBACK_MAX_IMAGES * (base64Length(e.FEEDBACK_MAX_IMAGE_BYTES) + IMAGE_BODY_OVERHEAD),
    trustProxy: e.TRUST_PROXY,
    rateLimits: {
      create: e.RATE_LIMIT_CREATE,
      read: e.RATE_LIMIT_READ,
      submit: e.RATE_LIMIT_SUBMIT,
      page: e.RATE_LIMIT_PAGE,
    },
    ws: {
      maxSockets: e.WS_MAX_SOCKETS,
      maxSocketsPerSession: e.WS_MAX_SOCKETS_PER_SESSION,
      idleTimeout: e.WS_IDLE_TIMEOUT,
    },
    ownerQuotas: {
      maxPending: e.OWNER_MAX_PENDING,
      maxWaits: e.OWNER_MAX_WAITS,
      maxSockets: e.OWNER_MAX_SOCKETS,
      maxImageBytes: e.OWNER_MAX_IMAGE_BYTES,
    },
    expirySweepInterval: e.EXPIRY_SWEEP_INTERVAL,
    mcp: {
      maxWait: e.MCP_MAX_WAIT,
      progressHold: Math.max(e.MCP_MAX_WAIT, e.MCP_PROGRESS_HOLD ?? e.MCP_MAX_WAIT),
    },
    notify: {
      webhookUrl: e.NOTIFY_WEBHOOK_URL,
      webhookSecret: e.NOTIFY_WEBHOOK_SECRET,
      allowPrivate: e.NOTIFY_ALLOW_PRIVATE,
      coalesceSeconds: e.NOTIFY_COALESCE_SECONDS,
      retryScheduleMs: e.NOTIFY_RETRY_SCHEDULE.map((s) => Math.round(s * 1000)),
      timeoutMs: Math.round(e.NOTIFY_TIMEOUT * 1000),
      sweepIntervalMs: Math.max(1, Math.round(e.NOTIFY_SWEEP_INTERVAL * 1000)),
      ...(e.VAPID_PUBLIC_KEY && e.VAPID_PRIVATE_KEY && vapidSubject
        ? {
          vapid: {
            publicKey: e.VAPID_PUBLIC_KEY,
            privateKey: e.VAPID_PRIVATE_KEY,
            subject: vapidSubject,
          },
        }
        : {}),
    },
  };
}
