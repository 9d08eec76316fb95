/**
 * `GET /`: what the service is and how to connect a client to it.
 */
import type { Context } from "hono";
import type { JSX } from "preact";
import { Layout } from "../components/Layout.tsx";
import { clientConfig } from "../lib/client_config.ts";
import { type Messages, messagesFor } from "../lib/i18n.ts";
import type { Services } from "../lib/services.ts";
import { pageResponse } from "../lib/pages/headers.ts";
import { type PagePrefs, resolvePrefs } from "../lib/pages/prefs.ts";

/** The placeholder the README and the snippets on the page use for a token. */
const TOKEN = "YOUR_TOKEN";

function HomePage(
  { prefs, t, baseUrl }: { prefs: PagePrefs; t: Messages; baseUrl: string },
): JSX.Element {
  const { mcpUrl, claudeCode, claudeDesktop, cursor, curl } = clientConfig(baseUrl, TOKEN);
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
