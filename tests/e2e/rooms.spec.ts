// Rooms: group chat in a full mesh between separate browser contexts, over real WebRTC.
import type { Page } from "@playwright/test";
import { createRoom, expect, inviteOf, joinRoom, members, messages, person, say, shownTexts, test } from "./support";

test("A creates a room, B and C join through the link, D through C's link; all four chat and see the same", async ({ browser, appUrl }) => {
  const [a, b, c, d] = await Promise.all(
    ["Ann", "Ben", "Cat", "Dan"].map((name) => person(browser, appUrl(), name)),
  );
  const link = await createRoom(a.page, "Team");
  await joinRoom(b.page, link, "Team");
  await joinRoom(c.page, link, "Team");
  const fromC = await inviteOf(c.page);
  await joinRoom(d.page, fromC, "Team");
  const all = [a, b, c, d];
  for (const p of all) {
    await expect(members(p.page)).toHaveCount(4);
    for (const name of ["Ann", "Ben", "Cat", "Dan"]) {
      await expect(p.page.getByRole("list", { name: "Members" })).toContainText(name);
    }
  }
  // Full mesh: everyone shows everyone online.
  for (const p of all) {
    await expect(p.page.getByRole("list", { name: "Members" }).getByRole("listitem", { name: /, online$/ })).toHaveCount(4);
  }
  await say(a.page, "hello from Ann");
  await say(b.page, "hello from Ben");
  await say(c.page, "hello from Cat");
  await say(d.page, "hello from Dan");
  for (const p of all) {
    await expect(messages(p.page).getByRole("article")).toHaveCount(4);
  }
  const order = await shownTexts(a.page);
  expect([...order].sort()).toEqual(["hello from Ann", "hello from Ben", "hello from Cat", "hello from Dan"]);
  for (const p of all) expect(await shownTexts(p.page)).toEqual(order);
  // Receipts: everyone has every message.
  for (const p of all) {
    await expect(messages(p.page).getByText("Received by 4 of 4")).toHaveCount(4);
  }
  // Members are shown with their verified ids.
  await expect(a.page.getByRole("list", { name: "Members" })).toContainText(d.id);
  // Leaving is confirmed, can be undone for a few seconds, and is then announced to
  // everyone.
  await c.page.getByRole("button", { name: "Leave room" }).click();
  await c.page.getByRole("alertdialog").getByRole("button", { name: "Stay" }).click();
  await c.page.getByRole("button", { name: "Leave room" }).click();
  await c.page.getByRole("alertdialog").getByRole("button", { name: "Leave" }).click();
  await expect(c.page.getByRole("status").filter({ hasText: "You left Team." })).toBeVisible();
  await expect(c.page.getByRole("navigation", { name: "Chats" }).getByRole("button", { name: /^Team, room/ })).toHaveCount(0, { timeout: 10_000 });
  for (const p of [a, b, d]) {
    await expect(messages(p.page)).toContainText("Cat left the room");
    await expect(members(p.page)).toHaveCount(3);
  }
  for (const p of all) await p.context.close();
});

/** Four people in one room "Team", created by the first, everyone connected to everyone. */
async function teamOfFour(browser: import("@playwright/test").Browser, url: string) {
  const people = await Promise.all(["Ann", "Ben", "Cat", "Dan"].map((name) => person(browser, url, name)));
  const link = await createRoom(people[0].page, "Team");
  for (const p of people.slice(1)) await joinRoom(p.page, link, "Team");
  for (const p of people) {
    await expect(p.page.getByRole("list", { name: "Members" }).getByRole("listitem", { name: /, online$/ })).toHaveCount(4);
  }
  return people;
}

/** Opens the room "Team" in a fresh page of `context` (the person coming back). */
async function comeBack(context: import("@playwright/test").BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole("navigation", { name: "Chats" }).getByRole("button", { name: /^Team, room/ }).click();
  await expect(page.getByRole("region", { name: "Room Team" })).toBeVisible();
  return page;
}

test("D is away; A and B write and leave; D comes back and gets everything from C", async ({ browser, appUrl }) => {
  const [a, b, c, d] = await teamOfFour(browser, appUrl());
  await d.page.close();
  await say(a.page, "while Dan was away (Ann)");
  await say(b.page, "while Dan was away (Ben)");
  await expect(messages(c.page).getByRole("article")).toHaveCount(2);
  await a.page.close();
  await b.page.close();
  const back = await d.context.newPage();
  await back.goto(appUrl());
  // The room Dan had open opens again, with what he missed.
  await expect(back.getByRole("region", { name: "Room Team" })).toBeVisible();
  await expect(messages(back).getByRole("article")).toHaveCount(2);
  expect(await shownTexts(back)).toEqual(await shownTexts(c.page));
  // Only C is online for D now.
  await expect(back.getByRole("list", { name: "Members" }).getByRole("listitem", { name: /, online$/ })).toHaveCount(2);
  for (const p of [a, b, c, d]) await p.context.close();
});

test("three members send 100 messages each at once: identical histories, 300 messages, no duplicates", async ({ browser, appUrl }) => {
  const people = await teamOfFour(browser, appUrl());
  const writers = people.slice(0, 3);
  await Promise.all(
    writers.map(async (p, w) => {
      for (let i = 0; i < 100; i++) await say(p.page, `w${w} #${i}`);
    }),
  );
  let reference: string[] | undefined;
  for (const p of people) {
    // 300 messages and 4 "joined" lines; the latest 100 are shown. Everything arrives, and
    // the count stays there: no duplicates.
    const earlier = p.page.getByRole("button", { name: /Show earlier messages/ });
    await expect(earlier).toHaveText("Show earlier messages (204 more)", { timeout: 30_000 });
    for (let i = 0; i < 3; i++) await earlier.click();
    await expect(earlier).toHaveCount(0);
    await expect(messages(p.page).getByRole("article")).toHaveCount(300);
    const texts = await shownTexts(p.page);
    expect(new Set(texts).size).toBe(300);
    if (reference) expect(texts).toEqual(reference);
    else reference = texts;
  }
  for (const p of people) await p.context.close();
});

test("every member reloads: history and membership intact, the mesh forms again by itself", async ({ browser, appUrl }) => {
  const people = await teamOfFour(browser, appUrl());
  await say(people[0].page, "before the reload");
  await say(people[3].page, "me too");
  for (const p of people) await expect(messages(p.page).getByRole("article")).toHaveCount(2);
  const pages = await Promise.all(people.map(async (p) => {
    await p.page.close();
    return comeBack(p.context, appUrl());
  }));
  for (const page of pages) {
    await expect(page.getByRole("list", { name: "Members" }).getByRole("listitem")).toHaveCount(4);
    await expect(page.getByRole("list", { name: "Members" }).getByRole("listitem", { name: /, online$/ })).toHaveCount(4, { timeout: 30_000 });
    expect(await shownTexts(page)).toEqual(["before the reload", "me too"]);
  }
  await say(pages[1], "after the reload");
  for (const page of pages) await expect(messages(page)).toContainText("after the reload");
  for (const p of people) await p.context.close();
});

test("a long catch-up (250 messages) arrives complete, in batches", async ({ browser, appUrl }) => {
  const [a, b] = await Promise.all(["Ann", "Ben"].map((name) => person(browser, appUrl(), name)));
  const link = await createRoom(a.page, "Pair");
  await joinRoom(b.page, link, "Pair");
  await expect(members(a.page)).toHaveCount(2);
  await b.page.close();
  for (let i = 0; i < 250; i++) await say(a.page, `backlog ${i}`);
  const back = await b.context.newPage();
  await back.goto(appUrl());
  await back.getByRole("navigation", { name: "Chats" }).getByRole("button", { name: /^Pair, room/ }).click();
  // 250 messages and 2 "joined" lines; the latest 100 are shown.
  await expect(back.getByRole("button", { name: /Show earlier messages/ })).toHaveText("Show earlier messages (152 more)", { timeout: 30_000 });
  await expect(messages(back).getByRole("article").last()).toContainText("backlog 249");
  await a.context.close();
  await b.context.close();
});

test("a room's unread count survives a reload and clears when the room is read", async ({ browser, appUrl }) => {
  const [a, b] = await Promise.all(["Ann", "Ben"].map((name) => person(browser, appUrl(), name)));
  const link = await createRoom(a.page, "Pair");
  await joinRoom(b.page, link, "Pair");
  await expect(members(a.page).filter({ hasText: "Ben" })).toHaveAccessibleName("Ben, online");
  // Ben reads another room, so Pair's messages are unread for him.
  await createRoom(b.page, "Solo");
  await b.page.reload();
  await expect(b.page.getByRole("region", { name: "Room Solo" })).toBeVisible();
  const pair = (page: Page) => page.getByRole("navigation", { name: "Chats" }).getByRole("button", { name: /^Pair, room/ });
  await expect(pair(b.page)).toHaveAccessibleName("Pair, room");
  await expect(members(a.page).filter({ hasText: "Ben" })).toHaveAccessibleName("Ben, online");
  await say(a.page, "one");
  await say(a.page, "two");
  await expect(pair(b.page)).toHaveAccessibleName("Pair, room, 2 unread");
  await b.page.reload();
  await expect(pair(b.page)).toHaveAccessibleName("Pair, room, 2 unread");
  await pair(b.page).click();
  await expect(messages(b.page)).toContainText("two");
  await expect(pair(b.page)).toHaveAccessibleName("Pair, room");
  await b.page.reload();
  await expect(pair(b.page)).toHaveAccessibleName("Pair, room");
  await a.context.close();
  await b.context.close();
});
