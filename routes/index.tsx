/**
 * `GET /`: what the service is and how to connect a client to it.
 */
import type { Context } from "hono";
import type { JSX } from "preact";
import { Layout } from "../components/Layout.tsx";
import { type Messages, messagesFor } from "../lib/i18n.ts";
import type { Services } from "../lib/services.ts";
import { pageResponse } from "./_headers.ts";
import { type PagePrefs, resolvePrefs } from "./_prefs.ts";

const TOKEN = "YOUR_TOKEN";

function HomePage(
  { prefs, t, baseUrl }: { prefs: PagePrefs; t: Messages; baseUrl: string },
): JSX.Element {
  const mcpUrl = `${baseUrl}/mcp`;
  const claudeCode =
    `claude mcp add --transport http interactive-feedback ${mcpUrl} --header "Authorization: Bearer ${TOKEN}"`;
  const claudeDesktop = JSON.stringify(
    {
      mcpServers: {
        "interactive-feedback": {
          command: "npx",
          args: ["-y", "mcp-remote", mcpUrl, "--header", "Authorization:${AUTH_HEADER}"],
          env: { AUTH_HEADER: `Bearer ${TOKEN}` },
        },
      },
    },
    null,
    2,
  );
  const cursor = JSON.stringify(
    {
      mcpServers: {
        "interactive-feedback": { url: mcpUrl, headers: { Authorization: `Bearer ${TOKEN}` } },
      },
    },
    null,
    2,
  );
  const curl = `curl -s ${baseUrl}/api/feedback/create \\
  -H 'Authorization: Bearer ${TOKEN}' -H 'Content-Type: application/json' \\
  -d '{"message":"Ship it?","predefinedOptions":["Yes","No"]}'`;
  return (
    <Layout prefs={prefs} messages={t} title={t.homeTitle}>
      <main id="main" class="card home" data-page="home">
        <h1>{t.homeTitle}</h1>
        <p class="lead">{t.homeIntro}</p>
        <h2>{t.homeStepsTitle}</h2>
        <ol class="steps">
          <li>{t.homeStep1}</li>
          <li>{t.homeStep2}</li>
          <li>{t.homeStep3}</li>
        </ol>
        <h2>{t.homeConnectTitle}</h2>
        <p>{t.homeConnectIntro}</p>
        <h3>{t.homeEndpoint}</h3>
        <pre><code>{mcpUrl}</code></pre>
        <h3>{t.homeClaudeCode}</h3>
        <pre><code>{claudeCode}</code></pre>
        <h3>{t.homeClaudeDesktop}</h3>
        <pre><code>{claudeDesktop}</code></pre>
        <h3>{t.homeCursor}</h3>
        <pre><code>{cursor}</code></pre>
        <h3>{t.homeRest}</h3>
        <pre><code>{curl}</code></pre>
        <p>
          {t.homeRestBody} <a href="/api/openapi.json">/api/openapi.json</a> · {t.homeHealth}:{" "}
          <a href="/health">/health</a>
        </p>
      </main>
    </Layout>
  );
}

/** The handler of `GET /`. */
export function homeRoute(c: Context, services: Services): Response {
  const prefs = resolvePrefs(c, services.config.publicBaseUrl);
  const baseUrl = services.config.publicBaseUrl;
  return pageResponse(<HomePage prefs={prefs} t={messagesFor(prefs.lang)} baseUrl={baseUrl} />, {
    prefs,
    publicBaseUrl: baseUrl,
  });
}
