// Strangers and long contact lists (issue "The chat engine as a pure state machine in the
// core", defect 4): dialing is paced and bounded, so a long contact list never exhausts the
// browser's peer connections, and nothing breaks while friends chat.
import type { BrowserContext } from "@playwright/test";
import { openStockClient, test, watchConsole } from "./stock-client";
import { befriend, contact, expect, messages, person, say, status } from "./support";

/** Counts the page's RTCPeerConnections (made, and still open). */
async function countConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const Original = window.RTCPeerConnection;
    const made: RTCPeerConnection[] = [];
    (window as any).__connections = made;
    const Counted = function (this: unknown, config?: RTCConfiguration) {
      const pc = new Original(config);
      made.push(pc);
      return pc;
    } as unknown as typeof RTCPeerConnection;
    Counted.prototype = Original.prototype;
    (window as any).RTCPeerConnection = Counted;
  });
}

/** A valid Peerchat id nobody holds. */
function someId(i: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let s = "";
  let n = i * 7919 + 12345;
  for (let k = 0; k < 20; k++) {
    s += alphabet[n % 32];
    n = Math.floor(n / 32) + k * 31 + i;
  }
  return `pc-${s}`;
}

test("500 stored contacts: the page dials a few at a time, stays well under the browser's limit, and chat goes on", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  await befriend(a, "Alice", b, "Bob");
  // Alice's list grows to 500 (most of them never online).
  await a.page.evaluate((ids) => {
    const record = JSON.parse(localStorage.getItem("peerchat/v1/contacts")!);
    for (const id of ids) record.list.push({ id, name: null, key: null });
    localStorage.setItem("peerchat/v1/contacts", JSON.stringify(record));
  }, Array.from({ length: 499 }, (_, i) => someId(i)));
  const page = await a.context.newPage();
  await countConnections(a.context);
  await a.page.close();
  await page.goto(appUrl());
  await expect(status(page)).toHaveText("Online");
  await expect(page.getByRole("navigation", { name: "Chats" }).getByRole("button")).toHaveCount(500);

  let most = 0;
  for (let i = 0; i < 20; i++) {
    const open = await page.evaluate(
      () => ((window as any).__connections as RTCPeerConnection[]).filter((pc) => pc.signalingState !== "closed").length,
    );
    most = Math.max(most, open);
    await page.waitForTimeout(500);
  }
  expect(most).toBeLessThanOrEqual(48);
  const made = await page.evaluate(() => ((window as any).__connections as unknown[]).length);
  expect(made).toBeLessThan(100);

  await expect(contact(page, "Bob")).toHaveAccessibleName("Bob, online");
  await contact(page, "Bob").click();
  await say(page, "still here");
  await expect(messages(page).getByRole("article").last()).toContainText("Delivered");
  await contact(b.page, "Alice").click();
  await expect(messages(b.page)).toContainText("still here");
  await a.context.close();
  await b.context.close();
});

test("a stranger flood: 200 new identities dial Alice and write; her page stays responsive, holds at most 50 requests, keeps nothing of theirs, and her chat with Bob goes on", async ({ browser, appUrl, peer, repoBase }) => {
  test.setTimeout(240_000);
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  const console = watchConsole(a.page, "Alice");
  await befriend(a, "Alice", b, "Bob");
  await contact(a.page, "Bob").click();
  await contact(b.page, "Alice").click();

  // Strangers: the stock client, each page a new identity that dials Alice and writes.
  const TOTAL = 200;
  const BATCH = 20;
  let verified = 0;
  for (let start = 0; start < TOTAL; start += BATCH) {
    const batch = await Promise.all(
      Array.from({ length: BATCH }, (_, i) =>
        openStockClient(browser, peer, repoBase, `Stranger ${start + i}`, { target: a.id }),
      ),
    );
    // Each writes once verified (or gives up after 2 s: Alice answers a few at a time).
    await Promise.all(
      batch.map(async (s) => {
        const ok = await s.page
          .waitForFunction(() => (window as any).client.verified === true, undefined, { timeout: 2_000 })
          .then(() => true, () => false);
        if (ok) {
          verified++;
          await s.page.evaluate(() => (window as any).client.send("hello from a stranger"));
        }
      }),
    );
    // Alice and Bob keep chatting meanwhile.
    await say(b.page, `still here ${start}`);
    await expect(messages(a.page)).toContainText(`still here ${start}`);
    await Promise.all(batch.map((s) => s.context.close()));
  }
  expect(verified).toBeGreaterThan(0);

  // Her page answers at once, holds no more than 50 requests, and says so when full.
  const requests = a.page.getByRole("navigation", { name: "Message requests" }).getByRole("button");
  const held = await requests.count();
  expect(held).toBeLessThanOrEqual(50);
  if (held === 50) await expect(a.page.getByRole("alert").filter({ hasText: "Too many message requests" })).toBeVisible();
  await say(a.page, "all good");
  await expect(messages(b.page)).toContainText("all good");
  await expect(messages(a.page).getByRole("article").last()).toContainText("Delivered");
  // Nothing of theirs was stored, and they are not contacts.
  const keys = await a.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("peerchat/v1/chat/")));
  expect(keys.every((k) => k.startsWith(`peerchat/v1/chat/${b.id}/`))).toBe(true);
  await expect(a.page.getByRole("navigation", { name: "Chats" }).getByRole("button")).toHaveCount(1);
  // After a reload the requests are gone (they were never kept) and nobody is dialed back.
  await a.page.reload();
  await expect(status(a.page)).toHaveText("Online");
  await expect(requests).toHaveCount(0);
  expect(console.panics).toEqual([]);
  await a.context.close();
  await b.context.close();
});
