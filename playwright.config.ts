import { defineConfig } from "@playwright/test";

// Browser tests drive Debian's Chromium (Playwright's own browser downloads are not
// available here). The flags make WebRTC work on loopback in headless mode and keep
// Chromium from reaching out to the network; see docs/DEVELOPMENT.md.
export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "test-results",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    headless: true,
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--allow-loopback-in-peer-connection",
        "--allow-file-access-from-files",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
      ],
    },
    permissions: ["microphone", "camera", "clipboard-read", "clipboard-write"],
    trace: "off",
  },
});
