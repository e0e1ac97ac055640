// Trunk post-build hook: makes dist/index.html self-contained.
//
// Chromium refuses module scripts and wasm fetches from file:// pages, so a page opened
// straight from disk cannot load trunk's separate peerchat.js and peerchat_bg.wasm. This
// step inlines the wasm-bindgen glue into the page's one module script and embeds the wasm,
// gzip-compressed and base64-encoded, which the page inflates with DecompressionStream. The
// same single file then works from disk and from any static host under any path.
//
// Start-up (docs/BENCHMARKS.md): the base64 text is decoded with `Uint8Array.fromBase64`
// where the browser has it (atob plus a per-character copy as the fallback), and the
// inflated bytes stream straight into `WebAssembly.instantiateStreaming` (a Response typed
// application/wasm), so the wasm compiles while it is still being inflated. Both together
// took about 40 ms off the first visit on the benchmark machine.
//
// It also adds a Content-Security-Policy that allows exactly this script (by hash) and
// nothing else to run: a message that somehow became markup still could not execute.

import { createHash } from "node:crypto";
import { readFileSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
// Zopfli writes an ordinary gzip stream (DecompressionStream inflates it as any other) that
// is about 5.6 % smaller than zlib's level 9: 28 KB less of the page, measured on the
// 1.3 MB wasm (2.3 s of build time at 5 iterations; 15 saved only 100 B more).
import { gzipAsync } from "@gfx/zopfli";

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error("inline.mjs runs as a trunk post_build hook (TRUNK_STAGING_DIR unset)");

const files = readdirSync(dir);
// The manifest and its icon are copied beside the page, not inlined.
const glueFile = files.find((f) => f.endsWith(".js"));
const wasmFile = files.find((f) => f.endsWith("_bg.wasm"));
if (!glueFile || !wasmFile) throw new Error(`glue or wasm missing in ${dir}: ${files}`);
if (files.includes("snippets")) {
  throw new Error("wasm-bindgen emitted JS snippets; inline.mjs cannot inline those imports");
}

const glue = readFileSync(join(dir, glueFile), "utf8");
if (/^\s*import\s/m.test(glue)) throw new Error("the glue imports other modules; cannot inline");
// wasm-bindgen exports its init function as the default export, in one of two spellings.
const initName =
  glue.match(/export\s+default\s+([A-Za-z_$][\w$]*)\s*;/)?.[1] ??
  glue.match(/export\s*\{[^}]*?\b([A-Za-z_$][\w$]*)\s+as\s+default\b/)?.[1];
if (!initName) throw new Error("no default export (the init function) in the glue");

const wasm = readFileSync(join(dir, wasmFile));
const packed = Buffer.from(await gzipAsync(wasm, { numiterations: 5 })).toString("base64");

const script = `
${glue}
const packed = "${packed}";
const gz = Uint8Array.fromBase64
  ? Uint8Array.fromBase64(packed)
  : Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
await ${initName}({
  module_or_path: new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip")), {
    headers: { "Content-Type": "application/wasm" },
  }),
});
`;
const hash = createHash("sha256").update(script, "utf8").digest("base64");
const csp = [
  "default-src 'none'",
  `script-src 'sha256-${hash}' 'wasm-unsafe-eval'`,
  "style-src 'unsafe-inline'",
  "connect-src ws: wss:",
  "img-src data: 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

let html = readFileSync(join(dir, "index.html"), "utf8");
const before = html.length;
// Trunk's preload links and its loader script both point at the files we inline.
html = html.replace(/<link\b[^>]*(?:\.js|_bg\.wasm)["'][^>]*>\s*/g, "");
html = html.replace(/<script\b[^>]*type="module"[^>]*>[\s\S]*?<\/script>\s*/g, (m) =>
  m.includes(glueFile) ? "" : m,
);
if (html.includes(glueFile) || html.includes(wasmFile)) {
  throw new Error("trunk's loader was not fully removed; its output format changed?");
}
if (html.length === before) throw new Error("trunk's loader was not found in index.html");
html = html.replace(
  "</head>",
  `<meta http-equiv="Content-Security-Policy" content="${csp}">\n` +
    `<script type="module">${script}</script>\n</head>`,
);
writeFileSync(join(dir, "index.html"), html);
unlinkSync(join(dir, glueFile));
unlinkSync(join(dir, wasmFile));
console.log(
  `inline.mjs: ${wasmFile} ${wasm.length} B -> ${packed.length} B base64(gzip); index.html ${html.length} B`,
);
