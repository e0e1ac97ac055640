// Rooms: group chat in a full mesh between separate browser contexts, over real WebRTC.
import type { Page } from "@playwright/test";
import { expect, messages, person, say, shownTexts, test } from "./support";

/** Creates a room named `name` and returns its invite link. */
async function createRoom(page: Page, name: string): Promise<string> {
  await page.getByRole("textbox", { name: "New room name" }).fill(name);
  await page.getByRole("button", { name: "Create room" }).click();
  await expect(page.getByRole("region", { name: `Room ${name}` })).toBeVisible();
  return inviteOf(page);
}

/** The invite link of the open room. */
async function inviteOf(page: Page): Promise<string> {
  const link = await page.getByRole("button", { name: "Copy room invite link" }).getAttribute("data-invite");
  expect(link).toContain("#room=");
  return link!;
}

/** Opens a room invite link in an already named person's page. */
async function join(page: Page, link: string, room: string): Promise<void> {
  await page.goto(link);
  await expect(page.getByRole("region", { name: `Room ${room}` })).toBeVisible();
}

function members(page: Page) {
  return page.getByRole("list", { name: "Members" }).getByRole("listitem");
}

test("A creates a room, B and C join through the link, D through C's link; all four chat and see the same", async ({ browser, appUrl }) => {
  const [a, b, c, d] = await Promise.all(
    ["Ann", "Ben", "Cat", "Dan"].map((name) => person(browser, appUrl(), name)),
  );
  const link = await createRoom(a.page, "Team");
  await join(b.page, link, "Team");
  await join(c.page, link, "Team");
  const fromC = await inviteOf(c.page);
  await join(d.page, fromC, "Team");
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
    await expect(messages(p.page).getByText("Seen by 4 of 4")).toHaveCount(4);
  }
  for (const p of all) await p.context.close();
});
