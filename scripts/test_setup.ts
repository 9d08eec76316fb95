/**
 * Run by `deno task test` before the suite: makes sure the real clients the tests drive are
 * installed, so one command works on a fresh machine that has only Node.js and npm.
 * - Debian's Chromium (browser tests) and a CJK font (Chinese screenshots): installed with
 *   apt-get when missing and running as root; otherwise a clear message says what to install.
 * - The npm tools pinned in `tools/package.json` (mcp-remote, the MCP Inspector): `npm ci`.
 */
const CHROMIUM = "/usr/bin/chromium";
const DEBIAN_PACKAGES = ["chromium", "fonts-wqy-microhei"];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  const { code } = await new Deno.Command(cmd, { args, stdout: "inherit", stderr: "inherit" })
    .output();
  return code === 0;
}

if (!(await exists(CHROMIUM))) {
  const isRoot = Deno.uid() === 0;
  if (!isRoot || !(await exists("/usr/bin/apt-get"))) {
    console.error(
      `Chromium is missing at ${CHROMIUM}: install Debian's package (apt-get install -y ${
        DEBIAN_PACKAGES.join(" ")
      }) and run the tests again.`,
    );
    Deno.exit(1);
  }
  console.error(`Installing ${DEBIAN_PACKAGES.join(", ")} for the browser tests…`);
  const ok = await run("apt-get", ["update", "-qq"]) &&
    await run("apt-get", ["install", "-y", "-qq", ...DEBIAN_PACKAGES]);
  if (!ok) Deno.exit(1);
}

if (!(await exists("tools/node_modules/.bin/mcp-remote"))) {
  console.error("Installing the npm tools the MCP tests drive (tools/package.json)…");
  if (!(await run("npm", ["ci", "--prefix", "tools", "--no-audit", "--no-fund"]))) Deno.exit(1);
}
