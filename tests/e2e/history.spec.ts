// History at scale and under storage pressure.
import type { Page } from "@playwright/test";
import { befriend, chooseName, contact, expect, messages, person, say, shownId, shownTexts, status, test } from "./support";

test("a conversation with 20,000 stored messages opens showing only the latest page", async ({ page, appUrl }) => {
  await page.goto(appUrl());
  await chooseName(page, "Reader");
  const me = await shownId(page);
  const friend = "pc-aaaaaaaaaaaaaaaaaaaa";
  // Write the history the way Peerchat stores it (docs/PROTOCOL.md, section 3).
  await page.evaluate(
    ({ me, friend }) => {
      localStorage.setItem("peerchat/v1/contacts", JSON.stringify({ v: 1, list: [{ id: friend, name: "Chatty", key: null }] }));
      let n = 0;
      for (let seg = 0; seg < 100; seg++) {
        const m = [];
        for (let i = 0; i < 200; i++, n++) {
          const mine = n % 2 === 0;
          const seq = Math.floor(n / 2) + 1;
          m.push({ id: `m${n}`, author: mine ? me : friend, seq, lc: n + 1, ts: 1_700_000_000_000 + n * 1000, text: `message ${n + 1}` });
        }
        localStorage.setItem(`peerchat/v1/chat/${friend}/${seg}`, JSON.stringify({ v: 1, m }));
      }
    },
    { me, friend },
  );
  await page.reload();
  await contact(page, "Chatty").click();
  const rows = messages(page).getByRole("article");
  await expect(rows).toHaveCount(100);
  await expect(rows.last()).toContainText("message 20000");
  await expect(rows.first()).toContainText("message 19901");
  // It opens at the newest message.
  await expect(rows.last()).toBeInViewport();
  await expect(rows.first()).not.toBeInViewport();
  const more = page.getByRole("button", { name: "Show earlier messages (19900 more)" });
  await more.click();
  await expect(rows).toHaveCount(200);
  await expect(rows.first()).toContainText("message 19801");
  // The reader keeps their place: what was the oldest shown is still on screen, and the
  // earlier messages wait above it.
  await expect(rows.nth(100)).toContainText("message 19901");
  await expect(rows.nth(100)).toBeInViewport();
  await expect(rows.first()).not.toBeInViewport();
  await expect(rows.last()).not.toBeInViewport();
  // The reader goes up to the oldest shown; sending brings the newest into view again.
  await messages(page).focus();
  await page.keyboard.press("Home");
  await expect(rows.first()).toBeInViewport();
  await expect(rows.last()).not.toBeInViewport();
  await say(page, "back at the bottom");
  await expect(rows.last()).toContainText("back at the bottom");
  await expect(rows.last()).toBeInViewport();
  await expect(rows.first()).not.toBeInViewport();
});

/** Fills `page`'s localStorage to the last byte; returns how many filler values it took. */
async function fillStorage(page: Page): Promise<number> {
  return page.evaluate(() => {
    let size = 1 << 20;
    let i = 0;
    while (size >= 1) {
      try {
        localStorage.setItem(`filler/${i++}`, "x".repeat(size));
      } catch {
        size = Math.floor(size / 2);
      }
    }
    return i;
  });
}

/** Frees what [`fillStorage`] took. */
async function freeStorage(page: Page): Promise<void> {
  await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("filler/")).forEach((k) => localStorage.removeItem(k)));
}

test("storage full: the message is not sent, the composer keeps it, and nothing already stored is lost", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  await befriend(a, "Alice", b, "Bob");
  await contact(a.page, "Bob").click();
  await say(a.page, "kept safe");
  await expect(messages(a.page).getByRole("article")).toContainText("Delivered");

  expect(await fillStorage(a.page)).toBeGreaterThan(0);
  const box = a.page.getByRole("textbox", { name: "Message" });
  await box.fill("this one cannot be saved");
  await box.press("Enter");
  await expect(a.page.getByRole("alert").filter({ hasText: "Not sent: the message could not be saved" })).toBeVisible();
  await expect(box).toHaveValue("this one cannot be saved");
  expect(await shownTexts(a.page)).toEqual(["kept safe"]);

  // Make room again: everything saved before is still there after a reload.
  await freeStorage(a.page);
  await a.page.reload();
  await expect(status(a.page)).toHaveText("Online");
  await contact(a.page, "Bob").click();
  expect(await shownTexts(a.page)).toEqual(["kept safe"]);
  await expect(messages(a.page).getByRole("article")).toContainText("Delivered");
  await a.context.close();
  await b.context.close();
});

test("storage full while a friend writes: told once, no write storm, nothing acknowledged; delivered once there is room", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  // Count the writes localStorage refuses on Bob's page.
  await b.page.evaluate(() => {
    const set = Storage.prototype.setItem;
    (window as any).__refused = 0;
    Storage.prototype.setItem = function (k: string, v: string) {
      try {
        return set.call(this, k, v);
      } catch (e) {
        if (!k.startsWith("filler/")) (window as any).__refused++;
        throw e;
      }
    };
  });
  await befriend(a, "Alice", b, "Bob");
  await contact(a.page, "Bob").click();
  await contact(b.page, "Alice").click();
  await say(a.page, "before");
  await expect(messages(b.page)).toContainText("before");

  expect(await fillStorage(b.page)).toBeGreaterThan(0);
  await say(a.page, "one");
  await say(a.page, "two");
  const notice = b.page.getByRole("alert").filter({ hasText: "Storage is full" });
  await expect(notice).toHaveCount(1);
  // Nothing acknowledged, so Alice's messages are sent, not delivered, and Bob shows neither.
  const rows = messages(a.page).getByRole("article");
  await expect(rows.nth(1)).toContainText("Sent");
  await expect(rows.nth(2)).toContainText("Sent");
  expect(await shownTexts(b.page)).toEqual(["before"]);
  // Over the next 8 seconds Bob's page tries storage again a few times, not in a loop.
  const before = await b.page.evaluate(() => (window as any).__refused as number);
  await b.page.waitForTimeout(8_000);
  const during = (await b.page.evaluate(() => (window as any).__refused as number)) - before;
  expect(during).toBeLessThanOrEqual(4);
  await expect(notice).toHaveCount(1);

  await freeStorage(b.page);
  await expect(messages(b.page).getByRole("article")).toHaveCount(3, { timeout: 30_000 });
  expect(await shownTexts(b.page)).toEqual(["before", "one", "two"]);
  await expect(rows.nth(2)).toContainText("Delivered");
  await a.context.close();
  await b.context.close();
});
