import { defineConfig } from "@playwright/test";
import { CHROMIUM_ARGS } from "./tests/chromium.mjs";

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
      // Playwright turns the back/forward cache off; real browsers have it on, and a page
      // coming back from it must carry on (tests/e2e/bfcache.spec.ts), so it stays on.
      ignoreDefaultArgs: ["--disable-back-forward-cache"],
      // The file:// test loads dist/index.html from disk.
      args: [...CHROMIUM_ARGS, "--allow-file-access-from-files"],
    },
    permissions: ["microphone", "camera", "clipboard-read", "clipboard-write"],
    trace: "off",
  },
});
