/**
 * Which agent or project asked a question, as the inbox shows it: read from the creator's
 * `metadata` (any JSON object, contract §3). Agents name themselves in different ways, so the
 * first string found among a few common keys is taken for the agent, and `project` (or
 * `repository`/`repo`/`workspace`) is added after it: "claude-code · api-server".
 * @module
 */
import type { JsonObject } from "../feedback/model.ts";

/** Keys naming the agent, in order of preference. */
export const AGENT_KEYS = ["agent", "agentName", "client", "clientName", "source", "app"];
/** Keys naming the project, in order of preference. */
export const PROJECT_KEYS = ["project", "projectName", "repository", "repo", "workspace"];

const MAX_PART = 40;

function firstString(metadata: JsonObject, keys: string[]): string | null {
  for (const key of keys) {
    const value = metadata[key];
    if (typeof value !== "string") continue;
    // One line, no control characters, bounded: it is shown in a list and in notifications.
    // deno-lint-ignore no-control-regex -- removing control characters is the point
    const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
    if (!clean) continue;
    const chars = [...clean];
    return chars.length > MAX_PART ? `${chars.slice(0, MAX_PART - 1).join("")}…` : clean;
  }
  return null;
}

/** The label of a question's metadata, or null when it names neither agent nor project. */
export function agentLabel(metadata: JsonObject | null | undefined): string | null {
  if (!metadata) return null;
  const parts = [firstString(metadata, AGENT_KEYS), firstString(metadata, PROJECT_KEYS)];
  const label = parts.filter((p) => p !== null).join(" · ");
  return label || null;
}
