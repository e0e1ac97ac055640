// History at scale and under storage pressure.
import { chooseName, contact, expect, messages, person, say, shownId, shownTexts, startChat, status, test } from "./support";

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
  const more = page.getByRole("button", { name: "Show earlier messages (19900 more)" });
  await more.click();
  await expect(rows).toHaveCount(200);
  await expect(rows.first()).toContainText("message 19801");
});

test("storage full: a clear warning, and nothing already stored is lost", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  await startChat(a.page, b.id);
  await expect(contact(a.page, "Bob")).toHaveAccessibleName("Bob, online");
  await say(a.page, "kept safe");
  await expect(messages(a.page).getByRole("article")).toContainText("Delivered");

  // Fill A's storage to the last byte.
  const filled = await a.page.evaluate(() => {
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
  expect(filled).toBeGreaterThan(0);
  await say(a.page, "this one cannot be saved");
  await expect(
    a.page.getByRole("alert").filter({ hasText: "Your message was not sent because it could not be saved" }),
  ).toBeVisible();
  expect(await shownTexts(a.page)).toEqual(["kept safe"]);

  // Make room again: everything saved before is still there after a reload.
  await a.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("filler/")).forEach((k) => localStorage.removeItem(k)));
  await a.page.reload();
  await expect(status(a.page)).toHaveText("Online");
  await contact(a.page, "Bob").click();
  expect(await shownTexts(a.page)).toEqual(["kept safe"]);
  await expect(messages(a.page).getByRole("article")).toContainText("Delivered");
  await a.context.close();
  await b.context.close();
});
