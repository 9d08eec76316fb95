/** Bearer-token authentication shared by the REST API and the MCP endpoint. @module */
import { bearerToken, type TokenVerifier } from "../auth/jwt.ts";
import { UnauthorizedError } from "../errors.ts";

/** The owner named by the request's bearer token; throws {@link UnauthorizedError}. */
export async function authenticate(verify: TokenVerifier, request: Request): Promise<string> {
  const token = bearerToken(request.headers.get("authorization"));
  if (!token) throw new UnauthorizedError("Send `Authorization: Bearer <token>`.", false);
  return (await verify(token)).owner;
}
