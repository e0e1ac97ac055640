// Strangers and long contact lists (issue "The chat engine as a pure state machine in the
// core", defect 4): dialing is paced and bounded, so a long contact list never exhausts the
// browser's peer connections, and nothing breaks while friends chat.
import type { BrowserContext } from "@playwright/test";
import { befriend, contact, expect, messages, person, say, status, test } from "./support";

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
  await expect(page.getByRole("navigation", { name: "Contacts" }).getByRole("button")).toHaveCount(500);

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
