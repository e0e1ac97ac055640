// The back/forward cache (on in real browsers, and in these tests): a page put away by a
// navigation and brought back by Back closes its connections and its signaling socket on
// `pagehide` and opens them again on `pageshow`; rooms go on (issue "The chat engine as a
// pure state machine in the core", defect 5).
import type { Page } from "@playwright/test";
import { createRoom, expect, joinRoom, messages, onlineMembers, person, say, status, test } from "./support";

/** Leaves the page for another one and comes back with Back; true when the page came back
 * from the back/forward cache (its script state kept) rather than being loaded again. */
async function awayAndBack(page: Page, elsewhere: string): Promise<boolean> {
  await page.evaluate(() => {
    (window as any).__restored = false;
    addEventListener("pageshow", (e) => {
      if ((e as PageTransitionEvent).persisted) (window as any).__restored = true;
    });
  });
  await page.goto(elsewhere);
  await page.waitForTimeout(500);
  // A page restored from the cache fires `pageshow`, not `load`.
  await page.goBack({ waitUntil: "commit" });
  await page.waitForFunction(() => document.readyState === "complete");
  return page.evaluate(() => (window as any).__restored === true);
}

test("a room member's page goes into the back/forward cache and comes back: both still chat in the room", async ({ browser, appUrl, httpBase }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  const link = await createRoom(a.page, "Trip");
  await joinRoom(b.page, link, "Trip");
  await expect(onlineMembers(a.page)).toHaveCount(2);
  await say(a.page, "before");
  await expect(messages(b.page)).toContainText("before");

  expect(await awayAndBack(b.page, `${httpBase}somewhere-else`)).toBe(true);
  await expect(status(b.page)).toHaveText("Online");
  await expect(onlineMembers(a.page)).toHaveCount(2);
  await expect(onlineMembers(b.page)).toHaveCount(2);
  await say(b.page, "back from the cache");
  await expect(messages(a.page)).toContainText("back from the cache", { timeout: 10_000 });
  await say(a.page, "welcome back");
  await expect(messages(b.page)).toContainText("welcome back", { timeout: 10_000 });
  await a.context.close();
  await b.context.close();
});
