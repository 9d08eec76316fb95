/**
 * Settings every benchmark shares: rate limits and per-owner caps off, since one client on
 * loopback sends far more than a real user's budget and the figures must measure the service, not
 * the limiter.
 */
export const BENCH_ENV = {
  RATE_LIMIT_CREATE: "0",
  RATE_LIMIT_READ: "0",
  RATE_LIMIT_SUBMIT: "0",
  RATE_LIMIT_PAGE: "0",
  // One owner ("bench") holds thousands of sessions, waits and sockets.
  OWNER_MAX_PENDING: "0",
  OWNER_MAX_WAITS: "0",
  OWNER_MAX_SOCKETS: "0",
} as const;

/**
 * A typical question, the one the page and HTTP benchmarks ask: about 600 bytes of markdown (a
 * summary, a heading, a list, a link; 750 bytes as JSON), three options, an hour to answer.
 */
export const QUESTION = {
  title: "Release 2.4: ship today?",
  message: [
    "The release branch is green on Linux and macOS. **Windows CI** failed once on a flaky",
    "network test (`test_retry_backoff`), then passed on retry.",
    "",
    "## What changed",
    "",
    ...Array.from({ length: 8 }, (_, i) => `- Change ${i + 1}: a line describing one commit.`),
    "",
    "Changelog: [CHANGELOG.md](https://example.com/changelog). Should I tag and publish now?",
  ].join("\n"),
  predefinedOptions: ["Ship it", "Wait for one more green run", "Hold the release"],
  timeout: 3600,
};
