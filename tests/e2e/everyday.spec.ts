// The everyday experience (issue 8): the conversation list, notifications, links and
// times in messages, deleting and removing with undo, settings that change only what was
// changed, backup and restore, deleting everything, the phone layout, and accessibility
// (axe-core) on every screen in light and dark.
import AxeBuilder from "@axe-core/playwright";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "@playwright/test";
import { befriend, chooseName, contact, createRoom, expect, joinRoom, messages, person, say, shownId, shownTexts, status, test } from "./support";

/** The page asks `new Notification(...)`: record what it asks, as the browser would show. */
function recordNotifications() {
  type Shown = { title: string; body: string; tag: string; onclick: (() => void) | null; close: () => void };
  const shown: Shown[] = [];
  (window as unknown as { __shown: Shown[] }).__shown = shown;
  class FakeNotification {
    static permission = "default";
    static async requestPermission() {
      FakeNotification.permission = "granted";
      return "granted";
    }
    onclick: (() => void) | null = null;
    constructor(public title: string, options: { body: string; tag: string }) {
      shown.push(Object.assign(this, { body: options.body, tag: options.tag }) as unknown as Shown);
    }
    close() {}
  }
  (window as unknown as { Notification: unknown }).Notification = FakeNotification;
}

async function personWith(browser: Browser, url: string, name: string, init?: () => void) {
  const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  await page.goto(url);
  await chooseName(page, name);
  await expect(status(page)).toHaveText("Online");
  return { context, page, id: await shownId(page) };
}

async function openSettings(page: Page) {
  await page.getByRole("button", { name: "Settings" }).click();
  return page.getByRole("dialog", { name: "Settings" });
}

function chats(page: Page) {
  return page.getByRole("navigation", { name: "Chats" }).getByRole("button");
}

test("the conversation list, the unread count in the title and favicon, notifications that open the conversation, links and times", async ({ browser, appUrl }) => {
  const a = await personWith(browser, appUrl(), "Alice", recordNotifications);
  const b = await person(browser, appUrl(), "Bob");
  const c = await person(browser, appUrl(), "Cat");
  await expect(a.page.getByText(/^No conversations yet/)).toBeVisible();
  await befriend(a, "Alice", b, "Bob");
  await befriend(a, "Alice", c, "Cat");

  // Notifications are asked for on the person's click, in Settings.
  const settings = await openSettings(a.page);
  await settings.getByRole("checkbox", { name: /Show a notification/ }).check();
  await settings.getByRole("button", { name: "Save" }).click();
  await expect(settings).toHaveCount(0);

  await contact(a.page, "Cat").click();
  await expect(a.page.getByRole("textbox", { name: "Message" })).toBeFocused();
  await say(c.page, "cat was first");
  await expect(messages(a.page)).toContainText("cat was first");
  await contact(b.page, "Alice").click();
  await say(b.page, "look at https://example.org/x?y=1.");

  // Bob's conversation: first in the list, with its latest message and the unread count.
  await expect(chats(a.page).first()).toHaveAccessibleName("Bob, online, 1 unread");
  await expect(chats(a.page).first()).toHaveAccessibleDescription("look at https://example.org/x?y=1.");
  await expect(chats(a.page).nth(1)).toHaveAccessibleName("Cat, online");
  await expect(a.page).toHaveTitle("(1) Peerchat");
  expect(await a.page.locator("link[rel=icon]").getAttribute("href")).toContain("1%3C/text%3E");

  // The notification: who and what, one per conversation; a click opens it. (Hidden
  // tabs are covered below.)
  const shown = () => a.page.evaluate(() => (window as unknown as { __shown: { title: string; body: string; tag: string }[] }).__shown.map(({ title, body, tag }) => ({ title, body, tag })));
  await expect.poll(shown).toEqual([{ title: "Bob", body: "look at https://example.org/x?y=1.", tag: `peerchat:chat:${b.id}` }]);
  await a.page.evaluate(() => (window as unknown as { __shown: { onclick: () => void }[] }).__shown[0].onclick());
  await expect(a.page.getByRole("region", { name: "Conversation with Bob" })).toBeVisible();
  await expect(a.page).toHaveTitle("Peerchat");

  // The link is a link (http/https only), opening in a new tab, telling the site nothing;
  // the text around it stays text.
  const link = messages(a.page).getByRole("link", { name: "https://example.org/x?y=1" });
  await expect(link).toHaveAttribute("rel", "noopener noreferrer nofollow");
  await expect(link).toHaveAttribute("target", "_blank");
  await say(b.page, "javascript:alert(1) <b>not bold</b>");
  await expect(messages(a.page)).toContainText("javascript:alert(1) <b>not bold</b>");
  await expect(messages(a.page).getByRole("link")).toHaveCount(1);
  // Today's separator, and every message's time with the full date for screen readers.
  await expect(messages(a.page).getByRole("separator", { name: "Today" })).toHaveCount(1);
  const time = messages(a.page).getByRole("article").first().locator("time");
  await expect(time).toHaveAttribute("title", /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d+ \w+ \d{4} at \d\d:\d\d$/);
  // Messages to the open conversation raise no notification; with the text hidden, the
  // next one elsewhere says only "New message".
  expect((await shown()).length).toBe(1);
  const again = await openSettings(a.page);
  await again.getByRole("checkbox", { name: "Hide message text in notifications" }).check();
  await again.getByRole("button", { name: "Save" }).click();
  await contact(c.page, "Alice").click();
  await say(c.page, "secret text");
  await expect.poll(async () => (await shown()).at(-1)).toEqual({ title: "Cat", body: "New message", tag: `peerchat:chat:${c.id}` });

  // The tab hidden (another tab in front): a message to the open conversation notifies too.
  await contact(a.page, "Cat").click();
  const before = (await shown()).length;
  await a.page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  await say(c.page, "while you were away");
  await expect.poll(async () => (await shown()).length).toBe(before + 1);
  await expect(a.page).toHaveTitle("(1) Peerchat");
  for (const p of [a, b, c]) await p.context.close();
});

test("the invite dialog's QR code decodes to the invite link", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  await a.page.getByRole("button", { name: "Invite a friend" }).click();
  const dialog = a.page.getByRole("dialog", { name: "Invite a friend" });
  const link = await dialog.getByRole("textbox", { name: "Invite link" }).inputValue();
  // The page is on 127.0.0.1: it says a friend's machine cannot open it.
  await expect(dialog.getByRole("note")).toContainText("only works on this computer or network");
  const png = PNG.sync.read(await dialog.getByRole("img", { name: "QR code of the invite link" }).screenshot());
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  expect(code?.data).toBe(link);
  await a.context.close();
});

test("deleting messages and removing a contact: confirmed, undoable, and gone for good", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  await befriend(a, "Alice", b, "Bob");
  await contact(a.page, "Bob").click();
  await contact(b.page, "Alice").click();
  await say(a.page, "first");
  await say(b.page, "second");
  await expect(messages(a.page).getByRole("article")).toHaveCount(2);

  // On loopback the path is direct.
  await a.page.getByRole("button", { name: "Connection details" }).click();
  await expect(a.page.getByRole("region", { name: "Connection details" }).locator(".path")).toHaveText("Direct, on the same network");
  await a.page.getByRole("button", { name: "Connection details" }).click();
  await expect(a.page.getByRole("region", { name: "Connection details" })).toHaveCount(0);

  // Cancel, then Undo: nothing is deleted.
  await a.page.getByRole("button", { name: "Delete messages" }).click();
  await a.page.getByRole("alertdialog").getByRole("button", { name: "Cancel" }).click();
  await a.page.getByRole("button", { name: "Delete messages" }).click();
  await a.page.getByRole("alertdialog").getByRole("button", { name: "Delete" }).click();
  await a.page.getByRole("status").filter({ hasText: "Messages with Bob deleted." }).getByRole("button", { name: "Undo" }).click();
  await a.page.waitForTimeout(6_000);
  await expect(messages(a.page).getByRole("article")).toHaveCount(2);

  // Deleted: gone here (Bob keeps his copy), and still gone after a reload and a
  // reconnect; the conversation goes on.
  await a.page.getByRole("button", { name: "Delete messages" }).click();
  await a.page.getByRole("alertdialog").getByRole("button", { name: "Delete" }).click();
  await expect(messages(a.page).getByRole("article")).toHaveCount(0, { timeout: 10_000 });
  await a.page.reload();
  await expect(contact(a.page, "Bob")).toHaveAccessibleName("Bob, online");
  await say(b.page, "third");
  await expect(messages(a.page).getByRole("article")).toHaveCount(1);
  expect(await shownTexts(a.page)).toEqual(["third"]);
  expect(await shownTexts(b.page)).toEqual(["first", "second", "third"]);
  const stored = () => a.page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith("peerchat/v1/")));
  const texts = (entries: [string, string][]) => entries.filter(([, v]) => v.includes("first") || v.includes("second"));
  expect(texts(await stored())).toEqual([]);

  // Removed: out of the list, its messages gone; Bob can only write as a request now.
  await a.page.getByRole("button", { name: "Remove contact" }).click();
  await a.page.getByRole("alertdialog").getByRole("button", { name: "Remove" }).click();
  await expect(a.page.getByRole("status").filter({ hasText: "Bob removed from your contacts." })).toBeVisible();
  await expect(contact(a.page, "Bob")).toHaveCount(0, { timeout: 10_000 });
  await a.page.reload();
  await expect(status(a.page)).toHaveText("Online");
  await expect(contact(a.page, "Bob")).toHaveCount(0);
  // Nothing of Bob's is left in storage: no conversation, no meta record, no message.
  expect((await stored()).filter(([k, v]) => k.includes(b.id) || v.includes(b.id) || v.includes("third"))).toEqual([]);
  await say(b.page, "are you there?");
  await expect(a.page.getByRole("navigation", { name: "Message requests" }).getByRole("button", { name: /^Bob, request/ })).toBeVisible();
  await a.context.close();
  await b.context.close();
});

test("settings change only what was changed: new ICE servers keep the link's signaling server; the theme applies and stays", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  await expect(a.page.getByText(/\(from this page's link\)/)).toBeVisible();
  const settings = await openSettings(a.page);
  await settings.getByText("Advanced network settings").click();
  await settings.getByRole("textbox", { name: "ICE servers (STUN/TURN)" }).fill("stun:127.0.0.1:3478");
  await settings.getByRole("radio", { name: "Dark" }).check();
  await settings.getByRole("button", { name: "Save" }).click();
  await expect(settings).toHaveCount(0);
  await expect(a.page.getByText(/\(from this page's link\)/)).toBeVisible();
  await expect(status(a.page)).toHaveText("Online");
  await expect(a.page.locator("html")).toHaveAttribute("data-theme", "dark");
  await a.page.reload();
  await expect(a.page.locator("html")).toHaveAttribute("data-theme", "dark");
  const reopened = await openSettings(a.page);
  await reopened.getByText("Advanced network settings").click();
  await expect(reopened.getByRole("textbox", { name: "ICE servers (STUN/TURN)" })).toHaveValue("stun:127.0.0.1:3478");
  await expect(reopened.getByRole("textbox", { name: "Signaling servers" })).toHaveValue("");
  await a.context.close();
});

test("backup and restore: another browser takes over the identity, contacts and history; a wrong passphrase changes nothing", async ({ browser, appUrl }) => {
  test.setTimeout(120_000);
  const a = await person(browser, appUrl(), "Alice");
  const b = await person(browser, appUrl(), "Bob");
  await befriend(a, "Alice", b, "Bob");
  await contact(a.page, "Bob").click();
  await say(a.page, "before the backup");
  await expect(messages(a.page).getByRole("article").last()).toContainText("Delivered");
  await createRoom(a.page, "Book club");
  await say(a.page, "room note");

  const settings = await openSettings(a.page);
  await settings.getByLabel("Passphrase for the backup").fill("correct horse battery");
  await settings.getByLabel("Passphrase again").fill("correct horse battery");
  const download = a.page.waitForEvent("download");
  await settings.getByRole("button", { name: "Back up" }).click();
  // Kept beyond Alice's context (its downloads go with it).
  const file = test.info().outputPath("alice-backup.json");
  await (await download).saveAs(file);
  await expect(settings.getByText(/^Backup saved as peerchat-backup-/)).toBeVisible();
  expect(JSON.parse(readFileSync(file, "utf8"))["peerchat-backup"]).toBe(1);
  await a.context.close();

  // Another browser: a wrong passphrase is refused and changes nothing.
  const n = await person(browser, appUrl(), "Newcomer");
  const restore = await openSettings(n.page);
  await restore.getByLabel("Backup file").setInputFiles(file);
  await restore.getByLabel("Backup passphrase").fill("wrong passphrase");
  await restore.getByRole("button", { name: "Open backup" }).click();
  await expect(restore.getByText("This file could not be opened: the passphrase is wrong or the file was changed.")).toBeVisible();
  await restore.getByLabel("Backup passphrase").fill("correct horse battery");
  await restore.getByRole("button", { name: "Open backup" }).click();
  await expect(restore.getByText(new RegExp(`^Backup of Alice \\(${a.id}\\), made .*: 1 contacts, 1 rooms, \\d+ messages\\.$`))).toBeVisible();
  await restore.getByRole("button", { name: "Replace everything with the backup" }).click();

  // The page starts again as Alice: same ID, Bob a contact, the history there, and the
  // conversation goes on with Bob, verified.
  await expect(n.page.getByRole("heading", { name: "Hello, Alice" })).toBeVisible();
  expect(await shownId(n.page)).toBe(a.id);
  await expect(contact(n.page, "Bob")).toHaveAccessibleName(/^Bob, online/, { timeout: 20_000 });
  await expect(n.page.getByRole("navigation", { name: "Chats" }).getByRole("button", { name: /^Book club, room/ })).toBeVisible();
  await contact(n.page, "Bob").click();
  expect(await shownTexts(n.page)).toEqual(["before the backup"]);
  await contact(b.page, "Alice").click();
  await say(b.page, "welcome back");
  await expect(messages(n.page)).toContainText("welcome back");
  await n.context.close();
  await b.context.close();
});

test("Delete all my data starts over as a new person, after asking", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Alice");
  const settings = await openSettings(a.page);
  await settings.getByRole("button", { name: "Delete all my data…" }).click();
  await settings.getByRole("button", { name: "Keep my data" }).click();
  await settings.getByRole("button", { name: "Delete all my data…" }).click();
  await settings.getByRole("button", { name: "Delete everything" }).click();
  await expect(a.page.getByRole("heading", { name: "Welcome to Peerchat" })).toBeVisible();
  expect(await a.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("peerchat/v1/") && k !== "peerchat/v1/tab-lease" && k !== "peerchat/v1/identity"))).toEqual([]);
  await chooseName(a.page, "Someone else");
  expect(await shownId(a.page)).not.toBe(a.id);
  await a.context.close();
});

test("on a phone: one pane at a time, a compact room header with the members behind a button", async ({ browser, appUrl }) => {
  const a = await person(browser, appUrl(), "Ann");
  const b = await person(browser, appUrl(), "Ben");
  await a.page.setViewportSize({ width: 390, height: 844 });
  const link = await createRoom(a.page, "Hikers");
  await joinRoom(b.page, link, "Hikers");
  const toggle = a.page.getByRole("button", { name: "2 members" });
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await expect(a.page.getByRole("list", { name: "Members" })).toBeHidden();
  const header = await a.page.locator(".conversation-header").boundingBox();
  expect(header!.height).toBeLessThan(160);
  await toggle.click();
  await expect(a.page.getByRole("list", { name: "Members" })).toBeVisible();
  await expect(a.page.getByRole("navigation", { name: "Chats" })).toBeHidden();
  await a.page.getByRole("button", { name: "Back to contacts" }).click();
  await expect(a.page.getByRole("navigation", { name: "Chats" })).toBeVisible();
  // The focus lands on the room just left, not on the page.
  await expect(a.page.getByRole("navigation", { name: "Chats" }).getByRole("button", { name: /^Hikers, room/ })).toBeFocused();
  await a.context.close();
  await b.context.close();
});

for (const theme of ["light", "dark"] as const) {
  test(`axe-core finds no serious or critical problem on any screen (${theme})`, async ({ browser, appUrl }) => {
    test.setTimeout(120_000);
    const context = await browser.newContext({ colorScheme: theme });
    const page = await context.newPage();
    const check = async (screen: string) => {
      const result = await new AxeBuilder({ page }).analyze();
      const bad = result.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${screen}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
      expect(bad).toEqual([]);
    };
    await page.goto(appUrl());
    await check("welcome");
    await chooseName(page, "Ann");
    await check("home");
    const b = await person(browser, appUrl(), "Ben");
    await befriend({ page }, "Ann", b, "Ben");
    await contact(page, "Ben").click();
    await say(page, "hello https://example.org/");
    await contact(b.page, "Ann").click();
    await say(b.page, "hi");
    await expect(messages(page).getByText("Delivered")).toBeVisible();
    await check("conversation");
    await createRoom(page, "Team");
    await say(page, "room message");
    await check("room");
    await page.getByRole("button", { name: "Invite a friend" }).click();
    await check("invite dialog");
    await page.keyboard.press("Escape");
    await openSettings(page);
    await page.getByText("Advanced network settings").click();
    await check("settings");
    await context.close();
    await b.context.close();
  });
}
