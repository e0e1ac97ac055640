// Chromium flags for headless WebRTC on loopback in this sandbox, shared by the browser tests
// (playwright.config.ts) and the benchmark (scripts/bench.mjs). See docs/DEVELOPMENT.md.
// Contexts must also be granted ["microphone", "camera"] so WebRTC offers real loopback
// host candidates instead of mDNS names.
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--allow-loopback-in-peer-connection",
  // Keep every DNS query on the machine (needs the permission grant above).
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
];
