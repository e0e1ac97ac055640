// Interoperability: a client written from docs/PROTOCOL.md alone, on the stock npm `peerjs`
// 1.5.5 library (tests/e2e/peerjs-client.html), chats with a Peerchat user over real WebRTC,
// both when it dials the Peerchat user and when the Peerchat user dials it.
import type { Browser, Page } from "@playwright/test";
import type { Server } from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../../scripts/serve.mjs";
import { contact, expect, messages, person, say, shownTexts, startChat, test, type PeerServer } from "./support";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

type ClientState = {
  id: string | null;
  registered: boolean;
  peerId: string | null;
  verified: boolean;
  peerName: string | null;
  received: string[];
  delivered: number;
  error: string | null;
  log: string[];
};

let rootServer: Server;
let rootBase: string;

test.beforeAll(async () => {
  // The repository root, for the client page and node_modules/peerjs (the app server
  // fixture serves only dist/).
  rootServer = await serve(ROOT, 0);
  rootBase = `http://127.0.0.1:${(rootServer.address() as { port: number }).port}`;
});

test.afterAll(async () => {
  await new Promise((r) => rootServer.close(r));
});

/** Opens the stock-peerjs client page in its own browser context. */
async function stockClient(browser: Browser, peer: PeerServer, name: string, target?: string) {
  const context = await browser.newContext({ permissions: ["microphone", "camera"] });
  const page = await context.newPage();
  const params = new URLSearchParams({ host: "127.0.0.1", port: String(peer.port), path: peer.path, name });
  if (target) params.set("target", target);
  await page.goto(`${rootBase}/tests/e2e/peerjs-client.html?${params}`);
  await expect.poll(() => state(page).then((s) => s.registered)).toBe(true);
  const id = (await state(page)).id!;
  expect(id).toMatch(/^pc-[a-z2-7]{20}$/);
  return { context, page, id };
}

function state(page: Page): Promise<ClientState> {
  return page.evaluate(() => {
    const c = (window as unknown as { client?: ClientState }).client;
    if (!c) throw new Error("window.client is not there yet");
    return JSON.parse(JSON.stringify(c)) as ClientState;
  });
}

/** The client's frame log (on failure, or always with PEERJS_LOG=1): what was on the wire. */
async function dumpLog(page: Page) {
  try {
    const s = await state(page);
    console.log(`--- stock client ${s.id} log ---\n${s.log.join("\n")}`);
  } catch {
    /* page gone */
  }
}

test("the stock peerjs client dials a Peerchat user: handshake, messages both ways, acks", async ({ browser, appUrl, peer }) => {
  const alice = await person(browser, appUrl(), "Alice");
  const client = await stockClient(browser, peer, "Stock Client", alice.id);
  try {
    await expect.poll(() => state(client.page).then((s) => s.verified), { timeout: 20_000 }).toBe(true);
    const s = await state(client.page);
    expect(s.error).toBeNull();
    expect(s.peerName).toBe("Alice");

    // Alice sees the new contact with the announced name, online.
    await expect(contact(alice.page, "Stock Client")).toHaveAccessibleName(/^Stock Client, online/);

    await client.page.evaluate(() => (window as unknown as { client: { send(t: string): number } }).client.send("hello from peerjs"));
    await expect(contact(alice.page, "Stock Client")).toHaveAccessibleName("Stock Client, online, 1 unread");
    await contact(alice.page, "Stock Client").click();
    await expect(messages(alice.page)).toContainText("hello from peerjs");
    expect(await shownTexts(alice.page)).toEqual(["hello from peerjs"]);
    // Alice acknowledged it.
    await expect.poll(() => state(client.page).then((s) => s.delivered)).toBe(1);

    await say(alice.page, "hi back");
    await expect.poll(() => state(client.page).then((s) => s.received)).toEqual(["hi back"]);
    await expect(messages(alice.page).getByRole("article").last()).toContainText("Delivered");
    expect(await shownTexts(alice.page)).toEqual(["hello from peerjs", "hi back"]);
    // Still exactly once each, and no complaints on either side.
    await alice.page.waitForTimeout(500);
    expect(await shownTexts(alice.page)).toEqual(["hello from peerjs", "hi back"]);
    expect((await state(client.page)).received).toEqual(["hi back"]);
    expect((await state(client.page)).error).toBeNull();
    // The person sees it on the client page too.
    await expect(client.page.getByRole("list", { name: "Messages" })).toContainText("hi back");
  } catch (e) {
    await dumpLog(client.page);
    throw e;
  } finally {
    if (process.env.PEERJS_LOG) await dumpLog(client.page);
    await client.context.close();
    await alice.context.close();
  }
});

test("a Peerchat user dials the stock peerjs client: handshake, messages both ways", async ({ browser, appUrl, peer }) => {
  const client = await stockClient(browser, peer, "Stock Client");
  const alice = await person(browser, appUrl(), "Alice");
  try {
    await startChat(alice.page, client.id);
    await expect.poll(() => state(client.page).then((s) => s.verified), { timeout: 20_000 }).toBe(true);
    const s = await state(client.page);
    expect(s.error).toBeNull();
    expect(s.peerId).toBe(alice.id);
    expect(s.peerName).toBe("Alice");
    await expect(contact(alice.page, "Stock Client")).toHaveAccessibleName(/^Stock Client, online/);

    await say(alice.page, "hello stock client");
    await expect.poll(() => state(client.page).then((s) => s.received)).toEqual(["hello stock client"]);
    await expect(messages(alice.page).getByRole("article").last()).toContainText("Delivered");

    await client.page.evaluate(() => (window as unknown as { client: { send(t: string): number } }).client.send("reply from peerjs"));
    await expect(messages(alice.page)).toContainText("reply from peerjs");
    await expect.poll(() => state(client.page).then((s) => s.delivered)).toBe(1);
    expect(await shownTexts(alice.page)).toEqual(["hello stock client", "reply from peerjs"]);
    expect((await state(client.page)).error).toBeNull();
  } catch (e) {
    await dumpLog(client.page);
    throw e;
  } finally {
    if (process.env.PEERJS_LOG) await dumpLog(client.page);
    await client.context.close();
    await alice.context.close();
  }
});
