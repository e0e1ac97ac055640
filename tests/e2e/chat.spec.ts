// One-to-one chat between separate browser contexts over real WebRTC, signaled by the
// stock `peer` server on loopback.
import { contact, expect, messages, person, say, shownTexts, startChat, status, test } from "./support";

test("A and B chat both ways via an invite link; after both reload the history is intact", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const invite = await a.page.getByRole("button", { name: "Copy invite link" }).getAttribute("data-invite");
  expect(invite).toContain(`#invite=${a.id}`);

  // B opens the invite link on a first visit: asked for a name, then straight into the chat.
  const bContext = await browser.newContext({ permissions: ["microphone", "camera"] });
  const b = await bContext.newPage();
  await b.goto(invite!);
  await b.getByRole("textbox", { name: "Your name" }).fill("Bob");
  await b.getByRole("button", { name: "Start chatting" }).click();
  await expect(b.getByRole("region", { name: /^Conversation with / })).toBeVisible();
  await expect(contact(b, "Alice")).toHaveAccessibleName("Alice, online");
  await expect(contact(a.page, "Bob")).toHaveAccessibleName(/Bob, online/);

  await say(b, "Hi Alice!\nSecond line.");
  await expect(contact(a.page, "Bob")).toHaveAccessibleName("Bob, online, 1 unread");
  await contact(a.page, "Bob").click();
  await expect(messages(a.page)).toContainText("Hi Alice!");
  await expect(contact(a.page, "Bob")).toHaveAccessibleName("Bob, online");
  await say(a.page, "Hello Bob 👋");
  await expect(messages(b)).toContainText("Hello Bob 👋");
  await expect(messages(a.page).getByRole("article").last()).toContainText("Delivered");

  const expected = ["Hi Alice!\nSecond line.", "Hello Bob 👋"];
  expect(await shownTexts(a.page)).toEqual(expected);
  expect(await shownTexts(b)).toEqual(expected);

  await Promise.all([a.page.reload(), b.reload()]);
  for (const [page, other] of [[a.page, "Bob"], [b, "Alice"]] as const) {
    await expect(status(page)).toHaveText("Online");
    await contact(page, other).click();
    await expect(messages(page).getByRole("article")).toHaveCount(2);
    expect(await shownTexts(page)).toEqual(expected);
  }
  // They reconnect by themselves after the reload.
  await expect(contact(a.page, "Bob")).toHaveAccessibleName("Bob, online");
  await expect(contact(b, "Alice")).toHaveAccessibleName("Alice, online");
  await a.context.close();
  await bContext.close();
});
