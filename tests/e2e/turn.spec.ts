// Connecting through the network (issue 10): TURN relays tested with a real coturn on
// loopback (with "Always relay" both peers connect through the relay only, verify and
// chat; wrong TURN credentials end in a clear "no network path" notice instead of a silent
// retry), and a page that goes offline for a few seconds keeps its conversation.
import type { Browser, Page } from "@playwright/test";
import { TurnServer, befriend, chooseName, contact, expect, freePort, messages, person, say, shownId, startChat, status, test } from "./support";

/** Keeps every RTCPeerConnection the page makes, to read its stats. */
function recordConnections() {
  const made: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = made;
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Original {
    constructor(config?: RTCConfiguration) {
      super(config);
      made.push(this);
    }
  } as typeof RTCPeerConnection;
}

async function relayOnly(browser: Browser, url: string, name: string, iceLine: string) {
  const context = await browser.newContext({ permissions: ["microphone", "camera"] });
  await context.addInitScript(recordConnections);
  const page = await context.newPage();
  await page.goto(url);
  await chooseName(page, name);
  await expect(status(page)).toHaveText("Online");
  await page.getByRole("button", { name: "Settings" }).click();
  const settings = page.getByRole("dialog", { name: "Settings" });
  await settings.getByText("Advanced network settings").click();
  await settings.getByRole("textbox", { name: "ICE servers (STUN/TURN)" }).fill(iceLine);
  await settings.getByRole("checkbox", { name: "Always relay" }).check();
  await settings.getByRole("button", { name: "Save" }).click();
  await expect(settings).toHaveCount(0);
  return { context, page, id: await shownId(page) };
}

/** The local candidate types of the connections' selected candidate pairs. */
async function pathTypes(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const types: string[] = [];
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState !== "connected") continue;
      const stats = await pc.getStats();
      stats.forEach((s) => {
        if (s.type === "candidate-pair" && s.state === "succeeded" && s.nominated) {
          types.push(stats.get(s.localCandidateId)?.candidateType);
        }
      });
    }
    return types;
  });
}

/** How many User Timing marks the page set whose name starts with `prefix` (Peerchat marks
 * `peerchat:verified:<id>` at each handshake, `peerchat:ice-restart:<id>` at each restart). */
function marks(page: Page, prefix: string): Promise<number> {
  return page.evaluate((p) => performance.getEntriesByType("mark").filter((m) => m.name.startsWith(p)).length, prefix);
}

test("Always relay: both peers connect through a real TURN relay, verify, chat and see Delivered", async ({ browser, appUrl }) => {
  const turn = new TurnServer(await freePort());
  await turn.start();
  try {
    const a = await relayOnly(browser, appUrl(), "Alice", turn.iceLine());
    const b = await relayOnly(browser, appUrl(), "Bob", turn.iceLine());
    await befriend(a, "Alice", b, "Bob");
    await contact(a.page, "Bob").click();
    await say(a.page, "through the relay");
    await contact(b.page, "Alice").click();
    await expect(messages(b.page)).toContainText("through the relay");
    await expect(messages(a.page).getByRole("article").last()).toContainText("Delivered");
    const types = await pathTypes(a.page);
    expect(types.length).toBeGreaterThan(0);
    expect(types.every((t) => t === "relay")).toBe(true);
    // The contact's connection details say so, with the verified key and a round trip.
    await a.page.getByRole("button", { name: "Connection details" }).click();
    const details = a.page.getByRole("region", { name: "Connection details" });
    await expect(details.locator(".path")).toHaveText("Relayed by a TURN server");
    await expect(details.locator(".rtt")).toHaveText(/^\d+ ms$/);
    await expect(details).toContainText(`${b.id} (the fingerprint of their key)`);
    await expect(details).toContainText(`Introduced by`);
    await a.context.close();
    await b.context.close();
  } finally {
    await turn.stop();
  }
});

test("wrong TURN credentials with Always relay: a clear 'no network path' notice, not a hang", async ({ browser, appUrl }) => {
  test.setTimeout(120_000);
  const turn = new TurnServer(await freePort());
  await turn.start();
  try {
    const a = await relayOnly(browser, appUrl(), "Alice", turn.iceLine("not-the-password"));
    const b = await relayOnly(browser, appUrl(), "Bob", turn.iceLine());
    await startChat(a.page, b.id);
    await expect(
      a.page.getByRole("alert").filter({ hasText: `Could not reach ${b.id}: no network path. A TURN server may help` }),
    ).toBeVisible({ timeout: 90_000 });
    await a.context.close();
    await b.context.close();
  } finally {
    await turn.stop();
  }
});

test("a page offline for a few seconds: the open conversation carries on without a new handshake", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  await befriend(a, "Alice", b, "Bob");
  await contact(a.page, "Bob").click();
  await contact(b.page, "Alice").click();
  await say(a.page, "before");
  await expect(messages(b.page)).toContainText("before");
  const before = await marks(a.page, "peerchat:verified:");
  await a.context.setOffline(true);
  await expect(status(a.page)).not.toHaveText("Online");
  await a.page.waitForTimeout(4_000);
  await a.context.setOffline(false);
  await expect(status(a.page)).toHaveText("Online", { timeout: 30_000 });
  await say(a.page, "after");
  await expect(messages(b.page)).toContainText("after");
  await expect(messages(a.page).getByRole("article").last()).toContainText("Delivered");
  expect(await marks(a.page, "peerchat:verified:")).toBe(before);
  await a.context.close();
  await b.context.close();
});

test("the relay's path really drops (coturn restarted): ICE restarts and the conversation carries on without a new handshake", async ({ browser, appUrl }) => {
  test.setTimeout(90_000);
  const turn = new TurnServer(await freePort());
  await turn.start();
  try {
    const a = await relayOnly(browser, appUrl(), "Alice", turn.iceLine());
    const b = await relayOnly(browser, appUrl(), "Bob", turn.iceLine());
    await befriend(a, "Alice", b, "Bob");
    await contact(a.page, "Bob").click();
    await contact(b.page, "Alice").click();
    await say(a.page, "before");
    await expect(messages(b.page)).toContainText("before");
    const verifiedA = await marks(a.page, "peerchat:verified:");
    const verifiedB = await marks(b.page, "peerchat:verified:");

    // Every relayed allocation dies with the server; a new server on the same port
    // knows none of them, so the old candidate pair can never come back by itself.
    await turn.stop();
    await turn.start();
    const restarts = async () => (await marks(a.page, "peerchat:ice-restart:")) + (await marks(b.page, "peerchat:ice-restart:"));
    await expect.poll(restarts, { timeout: 30_000 }).toBeGreaterThan(0);
    await say(b.page, "after the restart");
    await expect(messages(a.page)).toContainText("after the restart", { timeout: 20_000 });
    await say(a.page, "and back");
    await expect(messages(b.page)).toContainText("and back");
    await expect(messages(a.page).getByRole("article").last()).toContainText("Delivered");
    // The same connection: nobody proved who they are again.
    expect(await marks(a.page, "peerchat:verified:")).toBe(verifiedA);
    expect(await marks(b.page, "peerchat:verified:")).toBe(verifiedB);
    expect(await pathTypes(a.page)).toEqual(["relay"]);
    await a.context.close();
    await b.context.close();
  } finally {
    await turn.stop();
  }
});
