// One-to-one chat between separate browser contexts over real WebRTC, signaled by the
// stock `peer` server on loopback.
import { PeerServer, acceptRequest, befriend, contact, expect, freePort, messages, person, request, say, shownTexts, startChat, status, test } from "./support";
import { HijackingRelay } from "./relay";
import type { Page } from "@playwright/test";

test("A and B chat both ways via an invite link (B's first message waits as a request until A accepts); after both reload the history is intact", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  // Invite a friend, the home screen's main action: a dialog with the link (on the
  // clipboard, and in a field to select by hand) and its QR code; Escape closes it and the
  // focus goes back to the button.
  const inviteButton = a.page.getByRole("button", { name: "Invite a friend" });
  await inviteButton.click();
  const dialog = a.page.getByRole("dialog", { name: "Invite a friend" });
  await dialog.getByRole("button", { name: "Copy invite link" }).click();
  await expect(dialog.getByText("Invite link copied. Send it to a friend.")).toBeVisible();
  const invite = await dialog.getByRole("textbox", { name: "Invite link" }).inputValue();
  expect(invite).toContain(`#invite=${a.id}&from=Alice`);
  expect(await a.page.evaluate(() => navigator.clipboard.readText())).toBe(invite);
  await expect(dialog.getByRole("img", { name: "QR code of the invite link" })).toBeVisible();
  await a.page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(inviteButton).toBeFocused();

  // B opens the invite link on a first visit: asked for a name, then straight into the chat.
  const bContext = await browser.newContext({ permissions: ["microphone", "camera"] });
  const b = await bContext.newPage();
  await b.goto(invite!);
  // B sees who invited them, and the name field is ready to type in.
  await expect(b.getByText("Alice invited you to chat.")).toBeVisible();
  await expect(b.getByRole("textbox", { name: "Your name" })).toBeFocused();
  await b.getByRole("textbox", { name: "Your name" }).fill("Bob");
  await b.getByRole("button", { name: "Start chatting" }).click();
  await expect(b.getByRole("region", { name: /^Conversation with / })).toBeVisible();
  // A's name reaches B only once A accepts B: until then B sees A's verified ID.
  await expect(contact(b, a.id)).toHaveAccessibleName(`${a.id}, online`);

  // B is not A's contact yet: B's message is a request, held (not saved, not acknowledged)
  // until A accepts, and A's name has not been sent to B.
  await say(b, "Hi Alice!\nSecond line.");
  await expect(request(a.page, "Bob")).toHaveAccessibleName("Bob, request, 1 message");
  await expect(messages(b).getByRole("article").last()).toContainText("Sent");
  await request(a.page, "Bob").click();
  await expect(messages(a.page)).toContainText("Hi Alice!");
  await acceptRequest(a.page, "Bob");
  await expect(contact(a.page, "Bob")).toHaveAccessibleName("Bob, online");
  await expect(contact(b, "Alice")).toHaveAccessibleName("Alice, online");
  await expect(messages(b).getByRole("article").last()).toContainText("Delivered");
  await expect(messages(a.page)).toContainText("Hi Alice!");
  await say(a.page, "Hello Bob 👋");
  await expect(messages(b)).toContainText("Hello Bob 👋");
  await expect(messages(a.page).getByRole("article").last()).toContainText("Delivered");
  // Enter twice before the box empties (it empties in the frame that shows the message,
  // a few milliseconds on): the message goes once.
  const box = a.page.getByRole("textbox", { name: "Message" });
  await box.fill("Only once");
  await box.evaluate((el) => {
    for (let i = 0; i < 2; i++) el.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
  });
  await expect(box).toHaveValue("");
  await expect(messages(b)).toContainText("Only once");

  const expected = ["Hi Alice!\nSecond line.", "Hello Bob 👋", "Only once"];
  expect(await shownTexts(a.page)).toEqual(expected);
  expect(await shownTexts(b)).toEqual(expected);

  await Promise.all([a.page.reload(), b.reload()]);
  for (const [page, other] of [[a.page, "Bob"], [b, "Alice"]] as const) {
    await expect(status(page)).toHaveText("Online");
    await contact(page, other).click();
    await expect(messages(page).getByRole("article")).toHaveCount(expected.length);
    expect(await shownTexts(page)).toEqual(expected);
  }
  // They reconnect by themselves after the reload.
  await expect(contact(a.page, "Bob")).toHaveAccessibleName("Bob, online");
  await expect(contact(b, "Alice")).toHaveAccessibleName("Alice, online");
  await a.context.close();
  await bContext.close();
});

test("B is away while A writes three messages: B gets each once, in order, and A sees them delivered", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  await befriend(a, "Alice", b, "Bob");
  await contact(b.page, "Alice").click();
  await contact(a.page, "Bob").click();

  await b.page.close();
  await expect(contact(a.page, "Bob")).toHaveAccessibleName("Bob, offline");
  for (const text of ["one", "two", "three"]) await say(a.page, text);
  const mine = messages(a.page).getByRole("article");
  await expect(mine).toHaveCount(3);
  for (const row of await mine.all()) await expect(row).toContainText("Waiting for Bob to come online");

  // B comes back (same browser profile): it reconnects by itself and catches up.
  const back = await b.context.newPage();
  await back.goto(appUrl());
  await expect(status(back)).toHaveText("Online");
  // The conversation B had open opens again, with what B missed.
  await expect(back.getByRole("region", { name: "Conversation with Alice" })).toBeVisible();
  await expect(messages(back).getByRole("article")).toHaveCount(3);
  await expect(contact(back, "Alice")).toHaveAccessibleName("Alice, online");
  expect(await shownTexts(back)).toEqual(["one", "two", "three"]);
  for (const row of await mine.all()) await expect(row).toContainText("Delivered");
  // Still exactly once after a reload of B.
  await back.reload();
  await contact(back, "Alice").click();
  await expect(messages(back).getByRole("article")).toHaveCount(3);
  expect(await shownTexts(back)).toEqual(["one", "two", "three"]);
  await a.context.close();
  await b.context.close();
});

test("both dial at the same moment: one conversation, no duplicates", async ({ browser, appUrl }) => {
  // If one offer arrives before the other side's click is handled, that side answers
  // instead of dialing and no glare happens; such a pair is set aside and the scene played
  // again with new people, until both really dialed (at most five times).
  const bothDialed = async (x: { page: Page }, y: { id: string }) =>
    (await x.page.evaluate((id) => performance.getEntriesByName(`peerchat:dial:${id}`).length, y.id)) > 0;
  let a, b;
  for (let attempt = 0; attempt < 5; attempt++) {
    [a, b] = [await person(browser, appUrl(), "Alice"), await person(browser, appUrl(), "Bob")];
    for (const [p, other] of [[a, b], [b, a]] as const) {
      await p.page.getByRole("textbox", { name: "Friend's ID" }).fill(other.id);
    }
    // Press both buttons in the same instant.
    await Promise.all([a, b].map((p) => p.page.getByRole("button", { name: "Start chat" }).evaluate((el: HTMLElement) => el.click())));
    await expect(contact(a.page, "Bob")).toHaveAccessibleName("Bob, online");
    await expect(contact(b.page, "Alice")).toHaveAccessibleName("Alice, online");
    if ((await bothDialed(a, b)) && (await bothDialed(b, a))) break;
    await a.context.close();
    await b.context.close();
  }
  a = a!;
  b = b!;
  // Both really dialed (the glare path ran).
  expect(await bothDialed(a, b)).toBe(true);
  expect(await bothDialed(b, a)).toBe(true);
  await expect(a.page.getByRole("navigation", { name: "Chats" }).getByRole("button")).toHaveCount(1);
  await expect(b.page.getByRole("navigation", { name: "Chats" }).getByRole("button")).toHaveCount(1);
  await say(a.page, "from A");
  await say(b.page, "from B");
  for (const page of [a.page, b.page]) {
    await expect(messages(page).getByRole("article")).toHaveCount(2);
    expect((await shownTexts(page)).sort()).toEqual(["from A", "from B"]);
  }
  // Both show the same order.
  expect(await shownTexts(a.page)).toEqual(await shownTexts(b.page));
  await a.context.close();
  await b.context.close();
});

test("markup in a message is shown as text and runs nothing", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  await befriend(a, "Alice", b, "Bob");
  await contact(a.page, "Bob").click();
  const img = `<img src=x onerror="window.__xss=1">`;
  const script = `<script>window.__xss=2</script>`;
  await say(a.page, img);
  await say(a.page, script);
  await contact(b.page, "Alice").click();
  await expect(messages(b.page).getByRole("article")).toHaveCount(2);
  expect(await shownTexts(b.page)).toEqual([img, script]);
  for (const page of [a.page, b.page]) {
    await expect(messages(page).locator("img, script")).toHaveCount(0);
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
  }
  await a.context.close();
  await b.context.close();
});

test("the data channel survives the signaling server going away mid-chat", async ({ browser, httpBase }) => {
  const server = new PeerServer(await freePort());
  await server.start();
  try {
    const url = `${httpBase}?signal=${encodeURIComponent(server.endpoint)}`;
    const a = await person(browser, url, "Alice");
    const b = await person(browser, url, "Bob");
    await befriend(a, "Alice", b, "Bob");
    await contact(a.page, "Bob").click();
    await contact(b.page, "Alice").click();

    await server.stop();
    await expect(status(a.page)).toContainText("Offline");
    await expect(status(b.page)).toContainText("Offline");

    await say(a.page, "still here?");
    await expect(messages(b.page)).toContainText("still here?");
    await say(b.page, "yes, peer to peer");
    await expect(messages(a.page)).toContainText("yes, peer to peer");
    await expect(messages(a.page).getByRole("article").first()).toContainText("Delivered");
    await expect(contact(a.page, "Bob")).toHaveAccessibleName("Bob, online");
    await a.context.close();
    await b.context.close();
  } finally {
    await server.stop();
  }
});

test("impersonation: a relay hands A's offer for B to M, who answers; A refuses and warns, M receives nothing", async ({ browser, httpBase, peer }) => {
  const direct = `${httpBase}?signal=${encodeURIComponent(peer.endpoint)}`;
  const b = await person(browser, direct, "Bob");
  const m = await person(browser, direct, "Mallory");
  const relayPort = await freePort();
  const relay = new HijackingRelay(peer.port, b.id, m.id);
  await relay.start(relayPort);
  try {
    const a = await person(browser, `${httpBase}?signal=${encodeURIComponent(`ws://127.0.0.1:${relayPort}${peer.path}`)}`, "Alice");
    await startChat(a.page, b.id);
    await say(a.page, "secret for Bob only");

    const warning = a.page.getByRole("alert").filter({ hasText: `a connection claiming to be your contact ${b.id} was refused` });
    await expect(warning).toBeVisible();
    await expect(messages(a.page).getByRole("article")).toContainText(`Waiting for ${b.id} to come online`);
    await expect(contact(a.page, b.id)).toHaveAccessibleName(`${b.id}, offline`);
    // M got as far as the handshake and no further: no contact, no request, no message.
    const mDials = await m.page.evaluate(() => performance.getEntriesByType("mark").map((e) => e.name));
    expect(mDials.some((n) => n.startsWith("peerchat:verified:"))).toBe(false);
    await expect(m.page.getByText(/^No conversations yet/)).toBeVisible();
    await expect(m.page.getByRole("navigation", { name: "Message requests" })).toHaveCount(0);
    await expect(m.page.getByText("secret for Bob only")).toHaveCount(0);
    // B never heard of it either.
    await expect(b.page.getByText(/^No conversations yet/)).toBeVisible();
    await a.context.close();
  } finally {
    await relay.stop();
    await b.context.close();
    await m.context.close();
  }
});

test("a second tab takes the profile over mid-chat: the first stops its chat, the second carries on, and each message is kept once", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  await befriend(a, "Alice", b, "Bob");
  await contact(a.page, "Bob").click();
  await contact(b.page, "Alice").click();
  await say(b.page, "one");
  await expect(messages(a.page)).toContainText("one");

  const second = await a.context.newPage();
  await second.goto(appUrl());
  await expect(second.getByRole("heading", { name: "Peerchat is open in another tab" })).toBeVisible();
  await second.getByRole("button", { name: "Use Peerchat here" }).click();
  await expect(status(second)).toHaveText("Online");
  await expect(a.page.getByRole("heading", { name: "Peerchat is open in another tab" })).toBeVisible();
  await expect(contact(second, "Bob")).toHaveAccessibleName("Bob, online");

  // Bob's next message goes to the tab that runs the profile, and is stored once.
  await say(b.page, "two");
  await contact(second, "Bob").click();
  await expect(messages(second).locator(".msg-text")).toHaveText(["one", "two"]);
  await say(second, "three");
  await expect(messages(b.page).getByRole("article").last()).toContainText("three");
  const stored = await second.evaluate((bob) => {
    const texts: string[] = [];
    for (let n = 0; ; n++) {
      const raw = localStorage.getItem(`peerchat/v1/chat/${bob}/${n}`);
      if (raw === null) break;
      texts.push(...JSON.parse(raw).m.map((m: { text: string }) => m.text));
    }
    return texts;
  }, b.id);
  expect(stored).toEqual(["one", "two", "three"]);
  await a.context.close();
  await b.context.close();
});
