/**
 * Bearer tokens: HS256 JWTs signed with `JWT_SECRET` (older keys in `JWT_PREVIOUS_SECRETS` still
 * verify, for rotation). The algorithm is pinned, `exp` is required, lifetimes are capped, `nbf`,
 * `iss` and `aud` are honoured. The owner is `sub`, or upstream's `userId` claim: at most 256
 * characters, without control characters or lone surrogates.
 * @module
 */
import { errors, jwtVerify, SignJWT } from "jose";
import type { JwtConfig } from "../config.ts";
import { UnauthorizedError } from "../errors.ts";

/** Who a verified token speaks for. */
export interface Principal {
  owner: string;
}

/** Verifies a token or throws {@link UnauthorizedError}. */
export type TokenVerifier = (token: string) => Promise<Principal>;

const encoder = new TextEncoder();
const MAX_OWNER_LENGTH = 256;
/**
 * C0 controls, DEL and C1 controls. An owner name is a KV key part and appears in logs: with a
 * NUL, the key of `alice\u0000bob` begins with the bytes of `alice`'s (which let a forged KV
 * cursor cross owners), and a newline forges log lines.
 */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const CLOCK_TOLERANCE_SECONDS = 30;

/** Builds the verifier for a configuration. */
export function createTokenVerifier(config: JwtConfig): TokenVerifier {
  const keys = [config.secret, ...config.previousSecrets].map((s) => encoder.encode(s));
  return async (token) => {
    let lastError: unknown;
    for (const key of keys) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ["HS256"],
          requiredClaims: ["exp"],
          issuer: config.issuer,
          audience: config.audience,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        });
        const now = Math.floor(Date.now() / 1000);
        // A future `iat` would shrink the apparent lifetime: count from now at the latest.
        const lifetime = payload.exp! - Math.min(payload.iat ?? now, now);
        if (lifetime > config.maxTtl + CLOCK_TOLERANCE_SECONDS) {
          throw new UnauthorizedError("The token lives longer than this service accepts.");
        }
        const owner = typeof payload.sub === "string" && payload.sub
          ? payload.sub
          : typeof payload.userId === "string" && payload.userId
          ? payload.userId
          : undefined;
        if (!owner) throw new UnauthorizedError("The token names no subject (`sub`).");
        if (owner.length > MAX_OWNER_LENGTH) {
          throw new UnauthorizedError(
            `The token's subject is longer than ${MAX_OWNER_LENGTH} characters.`,
          );
        }
        if (CONTROL_CHARACTER.test(owner)) {
          throw new UnauthorizedError("The token's subject contains a control character.");
        }
        // A lone surrogate is not text: it cannot be stored or shown the same way everywhere.
        if (!owner.isWellFormed()) {
          throw new UnauthorizedError("The token's subject is not well-formed Unicode.");
        }
        return { owner };
      } catch (error) {
        if (error instanceof UnauthorizedError) throw error;
        lastError = error;
        // Only a bad signature is worth retrying with an older key.
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    throw new UnauthorizedError(describeJoseError(lastError));
  };
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "The token has expired.";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return "The token is not valid yet.";
    if (error.claim === "exp") return "The token must carry an expiry (`exp`).";
    return `The token's \`${error.claim}\` claim is not accepted.`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "The token must be signed with HS256.";
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return "The token's signature does not verify.";
  }
  return "The token is malformed.";
}

/** Options of {@link signToken}. */
export interface SignOptions {
  subject: string;
  /** Lifetime in seconds. */
  ttl: number;
  issuer?: string;
  audience?: string;
}

/** Signs an HS256 token for `subject`. */
export async function signToken(secret: string, options: SignOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(options.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + options.ttl);
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return await jwt.sign(encoder.encode(secret));
}
