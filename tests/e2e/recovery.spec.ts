// Damaged storage, as a person meets it: one damaged value costs at most what it held, the
// person is told, and nothing shown as sent is lost (issue "The chat engine as a pure state
// machine in the core", defects 1 to 3).
import type { Page } from "@playwright/test";
import { befriend, contact, createRoom, expect, inviteOf, joinRoom, messages, onlineMembers, person, say, shownTexts, status, test } from "./support";

/** Overwrites a stored value with garbage, as a crash mid-write or another program might. */
async function damage(page: Page, key: string): Promise<void> {
  await page.evaluate((k) => localStorage.setItem(k, "{garbage"), key);
}

/** The notice that a saved value could not be read and was kept aside. */
function keptAside(page: Page) {
  return page.getByRole("alert").filter({ hasText: "could not be read" }).filter({ hasText: "kept aside" });
}

test("a damaged history segment: messages written after it reach the friend, and the friend's lost message comes back", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  await befriend(a, "Alice", b, "Bob");
  await contact(a.page, "Bob").click();
  await contact(b.page, "Alice").click();
  for (const text of ["a1", "a2", "a3"]) await say(a.page, text);
  await say(b.page, "b1");
  await expect(messages(a.page).getByRole("article")).toHaveCount(4);
  await expect(messages(a.page).getByRole("article").nth(2)).toContainText("Delivered");

  // Alice's first segment with Bob is damaged; she reloads.
  await damage(a.page, `peerchat/v1/chat/${b.id}/0`);
  await a.page.reload();
  await expect(status(a.page)).toHaveText("Online");
  await expect(keptAside(a.page)).toBeVisible();
  await contact(a.page, "Bob").click();
  // Bob's message comes back from Bob; Alice's own three are gone from her page only.
  await expect(messages(a.page)).toContainText("b1");
  for (const text of ["a4", "a5"]) await say(a.page, text);
  await expect(messages(a.page).getByRole("article").last()).toContainText("Delivered");
  await expect(messages(b.page).getByRole("article")).toHaveCount(6);
  expect(await shownTexts(b.page)).toEqual(["a1", "a2", "a3", "b1", "a4", "a5"]);
  // Once each, also after Bob reloads.
  await b.page.reload();
  await contact(b.page, "Alice").click();
  await expect(messages(b.page).getByRole("article")).toHaveCount(6);
  await a.context.close();
  await b.context.close();
});

test("a damaged contact list: every conversation is still there, rebuilt from storage", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  const c = await person(browser, appUrl(), "Carol");
  await befriend(a, "Alice", b, "Bob");
  await befriend(a, "Alice", c, "Carol");
  await contact(a.page, "Bob").click();
  await say(a.page, "to Bob");
  await contact(a.page, "Carol").click();
  await say(a.page, "to Carol");
  await expect(messages(a.page).getByRole("article").last()).toContainText("Delivered");

  for (const garbage of ["{garbage", '{"v":1,"list":"nope"}', '{"v":7,"list":[]}', ""]) {
    await a.page.evaluate((g) => localStorage.setItem("peerchat/v1/contacts", g), garbage);
    await a.page.reload();
    await expect(status(a.page)).toHaveText("Online");
    await expect(keptAside(a.page)).toBeVisible();
    // Both come back, with their names once they connect, and their messages.
    await expect(contact(a.page, "Bob")).toHaveAccessibleName("Bob, online");
    await expect(contact(a.page, "Carol")).toHaveAccessibleName("Carol, online");
    await contact(a.page, "Carol").click();
    await expect(messages(a.page).locator(".msg-text")).toHaveText(["to Carol"]);
  }
  for (const p of [a, b, c]) await p.context.close();
});

test("a damaged room record costs that room only; invited again, its history is all there", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  const link1 = await createRoom(a.page, "Ops");
  await joinRoom(b.page, link1, "Ops");
  await expect(onlineMembers(a.page)).toHaveCount(2);
  await say(a.page, "ops one");
  await say(b.page, "ops two");
  const link2 = await createRoom(a.page, "Lunch");
  await joinRoom(b.page, link2, "Lunch");
  await say(a.page, "lunch one");
  await expect(messages(b.page)).toContainText("lunch one");

  const opsId = new URL(link1).hash.match(/room=([a-z2-7]+)/)![1];
  await damage(a.page, `peerchat/v1/room/${opsId}/info`);
  await a.page.reload();
  await expect(status(a.page)).toHaveText("Online");
  await expect(keptAside(a.page)).toBeVisible();
  const rooms = a.page.getByRole("navigation", { name: "Chats" });
  await expect(rooms.getByRole("button", { name: /^Lunch, room/ })).toBeVisible();
  await expect(rooms.getByRole("button", { name: /^Ops, room/ })).toHaveCount(0);

  // Bob sends a new invitation: Alice is back in, and nothing she had stored was lost.
  await b.page.getByRole("navigation", { name: "Chats" }).getByRole("button", { name: /^Ops, room/ }).click();
  const again = await inviteOf(b.page);
  await joinRoom(a.page, again, "Ops");
  await expect(messages(a.page).locator(".msg-text")).toHaveText(["ops one", "ops two"]);
  // Alice writes once Bob told her what he holds of hers (her record was lost).
  await expect(onlineMembers(a.page)).toHaveCount(2);
  await say(a.page, "ops three");
  await expect(messages(b.page)).toContainText("ops three");
  await a.context.close();
  await b.context.close();
});
