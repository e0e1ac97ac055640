// The largest room tested on this 2-core machine: twenty members, each in its own
// browser context, in a full mesh (190 connections). See docs/PROTOCOL.md for the limits.
import { expect, inviteOf, messages, person, say, test } from "./support";

const SIZE = 20;

test(`a room of ${SIZE} members forms a full mesh and everyone gets every message`, async ({ browser, appUrl }) => {
  test.setTimeout(240_000);
  const people = [];
  for (let i = 0; i < SIZE; i++) people.push(await person(browser, appUrl(), `Member ${i + 1}`));
  const first = people[0].page;
  await first.getByRole("textbox", { name: "New room name" }).fill("Big");
  await first.getByRole("button", { name: "Create room" }).click();
  const link = await inviteOf(first);
  for (const p of people.slice(1)) {
    await p.page.goto(link);
    await expect(p.page.getByRole("region", { name: "Room Big" })).toBeVisible();
  }
  for (const p of people) {
    await expect(p.page.getByRole("list", { name: "Members" }).getByRole("listitem", { name: /, online$/ })).toHaveCount(SIZE, { timeout: 60_000 });
  }
  await say(people[SIZE - 1].page, "hello, everyone");
  await say(people[0].page, "hello back");
  for (const p of people) {
    await expect(messages(p.page).getByRole("article")).toHaveCount(2, { timeout: 30_000 });
    await expect(messages(p.page).getByText(`Received by ${SIZE} of ${SIZE}`)).toHaveCount(2, { timeout: 30_000 });
  }
  for (const p of people) await p.context.close();
});
