// The stock-peerjs test client (tests/e2e/peerjs-client.html, protocol version 2) as the
// specs that use it need it: the repository served over http (for the page and
// node_modules/peerjs; the app's static server serves only dist/), opening the page, acting
// as its person (accepting someone as a contact), reading its state and its frame log, and
// watching a Peerchat page's console for panics and errors.
import type { Browser, Page } from "@playwright/test";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../../scripts/serve.mjs";
import { test as base, expect, type PeerServer } from "./support";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The shared fixtures plus `repoBase`: the repository root over http, one per worker. */
export const test = base.extend<object, { repoBase: string }>({
  repoBase: [
    async ({}, use) => {
      const server = await serve(ROOT, 0);
      await use(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
      await new Promise((r) => server.close(r));
    },
    { scope: "worker" },
  ],
});

/** Opens the client page in its own browser context, registered with `peer` under a fresh
 * id; `extra` are further page parameters (`target` to dial, which makes it the client's
 * contact; `room` to join: room members are not contacts). */
export async function openStockClient(
  browser: Browser,
  peer: PeerServer,
  repoBase: string,
  name: string,
  extra: Record<string, string> = {},
) {
  const context = await browser.newContext({ permissions: ["microphone", "camera"] });
  const page = await context.newPage();
  const params = new URLSearchParams({ host: "127.0.0.1", port: String(peer.port), path: peer.path, name, ...extra });
  await page.goto(`${repoBase}/tests/e2e/peerjs-client.html?${params}`);
  await expect.poll(() => clientState<{ registered: boolean }>(page).then((s) => s.registered)).toBe(true);
  const id = (await clientState<{ id: string | null }>(page)).id!;
  expect(id).toMatch(/^pc-[a-z2-7]{20}$/);
  return { context, page, id };
}

/** The person at the client accepts `peerId` as a contact (it was not dialed by the client):
 * the client sends it `sync` and its name, and from then on acknowledges its messages and
 * may write to it. */
export async function acceptInClient(page: Page, peerId: string): Promise<void> {
  await page.evaluate((id) => (window as unknown as { client: { accept(id: string): string } }).client.accept(id), peerId);
}

/** A copy of the page's `window.client` (its shape is the calling spec's `T`). */
export function clientState<T>(page: Page): Promise<T> {
  return page.evaluate(() => {
    const c = (window as unknown as { client?: unknown }).client;
    if (!c) throw new Error("window.client is not there yet");
    return JSON.parse(JSON.stringify(c));
  }) as Promise<T>;
}

/** Prints the client's frame log (on failure, or always with PEERJS_LOG=1): what was on the
 * wire. */
export async function dumpLog(page: Page) {
  try {
    const s = await clientState<{ id: string | null; log: string[] }>(page);
    console.log(`--- stock client ${s.id} log ---\n${s.log.join("\n")}`);
  } catch {
    /* page gone */
  }
}

/** Everything a Peerchat page says on its console; panics (a Rust panic is a console error
 * containing "panicked") and uncaught errors apart. */
export function watchConsole(page: Page, who: string) {
  const seen = { all: [] as string[], errors: [] as string[], panics: [] as string[] };
  page.on("console", (m) => {
    const text = m.text();
    seen.all.push(text);
    if (text.includes("panicked")) seen.panics.push(`${who}: ${text}`);
    if (m.type() === "error") seen.errors.push(`${who}: ${text}`);
  });
  page.on("pageerror", (e) => seen.panics.push(`${who} uncaught: ${e.message}`));
  return seen;
}
