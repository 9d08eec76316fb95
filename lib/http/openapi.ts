/** The OpenAPI 3.1 description of the REST API, served at `/api/openapi.json`. @module */
import type { Config } from "../config.ts";
import { SESSION_STATUSES } from "../feedback/model.ts";
import { MAX_WAIT_SECONDS } from "../feedback/service.ts";
import { SERVICE_NAME, SERVICE_VERSION } from "../version.ts";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const isoTime = { type: "string", format: "date-time" };

function envelope(data: unknown) {
  return {
    type: "object",
    required: ["success", "data", "error", "timestamp"],
    properties: {
      success: { const: true },
      data,
      error: { type: "null" },
      timestamp: isoTime,
    },
  };
}

function okResponse(description: string, data: unknown) {
  return { description, content: { "application/json": { schema: envelope(data) } } };
}

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ref("ErrorEnvelope") } },
});

const sessionIdParam = {
  name: "id",
  in: "path",
  required: true,
  description: "Session id (UUID v4, case-insensitive).",
  schema: { type: "string", format: "uuid" },
};

const commonErrors = {
  "400": errorResponse("INVALID_REQUEST: `details.field` names the offending field."),
  "401": errorResponse("UNAUTHORIZED: missing or invalid bearer token."),
  "404": errorResponse("SESSION_NOT_FOUND: no such session for this owner."),
};

/** Builds the document for the configured limits and public origin. */
export function openApiDocument(config: Config) {
  const f = config.feedback;
  return {
    openapi: "3.1.0",
    info: {
      title: "Interactive feedback API",
      version: SERVICE_VERSION,
      description:
        `${SERVICE_NAME}: agents ask a human a question and get the answer. Every response uses the envelope {success, data, error, timestamp}.`,
    },
    servers: [{ url: `${config.publicBaseUrl}/api` }],
    security: [{ bearer: [] }],
    paths: {
      "/feedback/create": {
        post: {
          summary: "Create a feedback session",
          requestBody: {
            required: true,
            content: { "application/json": { schema: ref("CreateRequest") } },
          },
          responses: {
            "200": okResponse("The session and its links.", ref("Created")),
            "400": commonErrors["400"],
            "401": commonErrors["401"],
            "413": errorResponse("PAYLOAD_TOO_LARGE: body above 64 KiB."),
            "415": errorResponse("UNSUPPORTED_MEDIA_TYPE: send application/json."),
          },
        },
      },
      "/feedback/list": {
        get: {
          summary: "List your sessions, newest first",
          parameters: [
            { name: "status", in: "query", schema: { enum: [...SESSION_STATUSES] } },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100 } },
            { name: "cursor", in: "query", schema: { type: "string" } },
          ],
          responses: {
            "200": okResponse("One page of sessions.", {
              type: "object",
              properties: {
                items: { type: "array", items: ref("ListItem") },
                cursor: { type: ["string", "null"] },
              },
            }),
            "400": commonErrors["400"],
            "401": commonErrors["401"],
          },
        },
      },
      "/feedback/{id}/status": {
        get: {
          summary: "A session's status",
          parameters: [sessionIdParam],
          responses: { "200": okResponse("The status.", ref("Status")), ...commonErrors },
        },
      },
      "/feedback/{id}/submit": {
        post: {
          summary: "Answer a session (no token: the session id is the capability)",
          security: [],
          parameters: [sessionIdParam],
          requestBody: {
            required: true,
            content: { "application/json": { schema: ref("SubmitRequest") } },
          },
          responses: {
            "200": okResponse("Accepted.", {
              type: "object",
              properties: {
                sessionId: { type: "string" },
                status: { const: "completed" },
                submittedAt: isoTime,
              },
            }),
            "400": commonErrors["400"],
            "404": commonErrors["404"],
            "409": errorResponse("ALREADY_SUBMITTED"),
            "410": errorResponse("SESSION_EXPIRED or SESSION_CANCELLED"),
          },
        },
      },
      "/feedback/{id}/result": {
        get: {
          summary: "The answer, optionally waiting for it",
          parameters: [sessionIdParam, {
            name: "wait",
            in: "query",
            description: "Seconds to hold the request until the session settles.",
            schema: { type: "integer", minimum: 0, maximum: MAX_WAIT_SECONDS },
          }],
          responses: {
            "200": okResponse("The answer.", ref("Result")),
            ...commonErrors,
            "404": errorResponse(
              "SESSION_NOT_FOUND, or NO_FEEDBACK_AVAILABLE with `details.status`.",
            ),
          },
        },
      },
      "/feedback/{id}/cancel": {
        post: {
          summary: "Withdraw a pending session",
          parameters: [sessionIdParam],
          responses: {
            "200": okResponse("Withdrawn.", {
              type: "object",
              properties: {
                sessionId: { type: "string" },
                status: { const: "cancelled" },
                cancelledAt: isoTime,
              },
            }),
            ...commonErrors,
            "409": errorResponse("ALREADY_SUBMITTED"),
            "410": errorResponse("SESSION_EXPIRED or SESSION_CANCELLED"),
          },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      schemas: {
        CreateRequest: {
          type: "object",
          required: ["message"],
          properties: {
            message: { type: "string", maxLength: f.maxMessageLength, description: "Markdown." },
            title: { type: "string", maxLength: f.maxTitleLength },
            predefinedOptions: {
              type: "array",
              maxItems: f.maxOptions,
              uniqueItems: true,
              items: { type: "string", minLength: 1, maxLength: f.maxOptionLength },
            },
            multiSelect: { type: "boolean", default: true },
            allowFreeText: { type: "boolean", default: true },
            timeout: {
              type: "integer",
              minimum: f.minTimeout,
              maximum: f.maxTimeout,
              default: f.defaultTimeout,
            },
            metadata: { type: "object", description: `At most ${f.maxMetadataBytes} bytes.` },
          },
        },
        SubmitRequest: {
          type: "object",
          properties: {
            selectedOptions: { type: "array", items: { type: "string" }, uniqueItems: true },
            freeText: { type: "string", maxLength: f.maxFreeTextLength },
            metadata: {
              type: "object",
              description: `At most ${f.maxSubmitMetadataBytes} bytes.`,
            },
          },
        },
        Created: {
          type: "object",
          properties: {
            sessionId: { type: "string", format: "uuid" },
            feedbackUrl: { type: "string" },
            statusUrl: { type: "string" },
            resultUrl: { type: "string" },
            wsUrl: { type: "string" },
            status: { const: "pending" },
            createdAt: isoTime,
            expiresAt: isoTime,
          },
        },
        Status: {
          type: "object",
          properties: {
            sessionId: { type: "string" },
            status: { enum: [...SESSION_STATUSES] },
            createdAt: isoTime,
            expiresAt: isoTime,
            viewedAt: isoTime,
            submittedAt: isoTime,
            cancelledAt: isoTime,
            expiredAt: isoTime,
          },
        },
        ListItem: {
          type: "object",
          properties: {
            sessionId: { type: "string" },
            title: { type: ["string", "null"] },
            message: { type: "string" },
            status: { enum: [...SESSION_STATUSES] },
            createdAt: isoTime,
            expiresAt: isoTime,
            viewedAt: isoTime,
            submittedAt: isoTime,
          },
        },
        Result: {
          type: "object",
          properties: {
            sessionId: { type: "string" },
            status: { const: "completed" },
            feedback: {
              type: "object",
              properties: {
                selectedOptions: { type: "array", items: { type: "string" } },
                freeText: { type: "string" },
                combinedFeedback: { type: "string" },
              },
            },
            submittedAt: isoTime,
            metadata: { type: ["object", "null"], description: "The creator's metadata." },
            submitMetadata: { type: ["object", "null"], description: "The answerer's metadata." },
          },
        },
        ErrorEnvelope: {
          type: "object",
          properties: {
            success: { const: false },
            data: { type: "null" },
            error: {
              type: "object",
              properties: {
                code: { type: "string" },
                message: { type: "string" },
                details: { type: ["object", "null"] },
              },
            },
            timestamp: isoTime,
          },
        },
      },
    },
  };
}
