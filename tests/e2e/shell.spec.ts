// The app shell: name, identity, persistence and the signaling connection, in real
// headless Chromium against the real stock `peer` server on loopback.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { DIST, PeerServer, chooseName, expect, freePort, shownId, status, test } from "./support";

test("first visit asks for a name; after a reload the name and the id are the same", async ({ page, appUrl }) => {
  await page.goto(appUrl());
  // Nothing was tried yet: no connection status to worry about.
  await expect(page.getByRole("status", { name: "Connection status" })).toHaveCount(0);
  // An empty name is refused with a clear message.
  await page.getByRole("textbox", { name: "Your name" }).fill("   ");
  await page.getByRole("button", { name: "Start chatting" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Please enter a name." })).toBeVisible();

  await chooseName(page, "Zoë 🚀");
  const id = await shownId(page);

  await page.reload();
  await expect(page.getByRole("heading", { name: "Hello, Zoë 🚀" })).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Your name" })).toHaveCount(0);
  expect(await shownId(page)).toBe(id);
});

test("the status reaches online against the local server", async ({ page, appUrl }) => {
  await page.goto(appUrl());
  await chooseName(page, "Ada");
  await expect(status(page)).toHaveText("Online");
  await expect(page.getByText(/Signaling server: ws:\/\/127\.0\.0\.1:\d+\/peerchat\/ \(from this page's link\)/)).toBeVisible();
});

test("server stopped: offline; started again: online without a reload", async ({ page, httpBase }) => {
  const server = new PeerServer(await freePort());
  await server.start();
  try {
    await page.goto(`${httpBase}?signal=${encodeURIComponent(server.endpoint)}`);
    await chooseName(page, "Grace");
    await expect(status(page)).toHaveText("Online");

    await server.stop();
    await expect(status(page)).toContainText("Offline");
    await expect(page.getByRole("button", { name: "Reconnect now" })).toBeVisible();
    // The wait until the next attempt counts down (the first waits are 1-2 s; wait for one
    // of at least 2 s to see it tick).
    const countdown = page.getByText(/^retrying in \d+ s$/);
    await expect(countdown).toHaveText(/^retrying in ([2-9]|10) s$/, { timeout: 30_000 });
    const first = Number((await countdown.textContent())!.match(/\d+/)![0]);
    await expect(countdown).toHaveText(`retrying in ${first - 1} s`);

    await server.start();
    // The backoff is capped at 10 s; no click, no reload.
    await expect(status(page)).toHaveText("Online", { timeout: 20_000 });
  } finally {
    await server.stop();
  }
});

test("dist/index.html opened from file:// boots and reaches online", async ({ page, peer }) => {
  const url = pathToFileURL(resolve(DIST, "index.html"));
  url.searchParams.set("signal", peer.endpoint);
  await page.goto(url.href);
  await chooseName(page, "Linus");
  await expect(status(page)).toHaveText("Online");
});

test("a corrupted profile: the app starts, says so, and keeps the damaged value aside", async ({ page, appUrl }) => {
  await page.goto(appUrl());
  await chooseName(page, "Barbara");
  const id = await shownId(page);

  const damaged = '{"v":1,"name":';
  await page.evaluate((text) => localStorage.setItem("peerchat/v1/profile", text), damaged);
  await page.reload();

  const notice = page.getByRole("alert").filter({ hasText: "could not be read" });
  await expect(notice).toContainText("Your saved profile (your display name) could not be read");
  // The name is asked again, the identity was intact and is kept.
  await chooseName(page, "Barbara L");
  expect(await shownId(page)).toBe(id);
  await expect(status(page)).toHaveText("Online");

  // Nothing was lost: the damaged text is stored aside, byte for byte.
  const aside = await page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith("peerchat/v1/damaged/profile/"))
      .map((k) => localStorage.getItem(k)),
  );
  expect(aside).toEqual([damaged]);

  await notice.getByRole("button", { name: "Dismiss" }).click();
  await expect(notice).toHaveCount(0);
});

test("a second tab of the same profile is told the profile is open elsewhere", async ({ context, appUrl }) => {
  const first = await context.newPage();
  await first.goto(appUrl());
  await chooseName(first, "Edsger");
  await expect(status(first)).toHaveText("Online");

  const second = await context.newPage();
  await second.goto(appUrl());
  await expect(second.getByRole("heading", { name: "Peerchat is open in another tab" })).toBeVisible();
  await expect(status(second)).not.toHaveText("Online");
  // The first tab keeps its connection.
  await expect(status(first)).toHaveText("Online");

  // Taking over moves the profile: the second tab connects, the first one steps down.
  await second.getByRole("button", { name: "Use Peerchat here" }).click();
  await expect(status(second)).toHaveText("Online");
  await expect(first.getByRole("heading", { name: "Peerchat is open in another tab" })).toBeVisible();
  await expect(status(first)).toContainText("open in another tab");

  // Closing the tab that runs the profile lets the waiting one carry on, without a click.
  await second.close();
  await expect(status(first)).toHaveText("Online");
  await expect(first.getByRole("heading", { name: "Peerchat is open in another tab" })).toHaveCount(0);
});

test("a malformed signaling server in the link gets a clear error", async ({ page, httpBase }) => {
  await page.goto(`${httpBase}?signal=${encodeURIComponent("ftp://nope")}`);
  await chooseName(page, "Tim");
  await expect(status(page)).toContainText("The signaling server in this page's link is not valid");
});

test("settings: an unreachable server shows offline; choosing the local server brings it online", async ({ page, httpBase, peer }) => {
  // No `signal` parameter: the built-in default, the public PeerJS server, which this
  // sandbox cannot reach.
  await page.goto(httpBase);
  await chooseName(page, "Margaret");
  await expect(page.getByText("Signaling server: wss://0.peerjs.com:443/ (the public PeerJS server)")).toBeVisible();
  await expect(status(page)).toContainText("Offline: server unreachable");

  await page.getByRole("button", { name: "Settings" }).click();
  const settings = page.getByRole("dialog", { name: "Settings" });
  // Escape closes without saving, and the focus goes back to the Settings button.
  await page.keyboard.press("Escape");
  await expect(settings).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Settings" })).toBeFocused();
  await page.getByRole("button", { name: "Settings" }).click();
  // The network settings are folded away under "Advanced".
  await settings.getByText("Advanced network settings").click();
  const server = settings.getByRole("textbox", { name: "Signaling servers" });
  await server.fill("not a url");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "must start with wss://" })).toBeVisible();

  await server.fill(peer.endpoint);
  await page.getByRole("textbox", { name: "Display name" }).fill("Margaret H");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { name: "Hello, Margaret H" })).toBeVisible();
  await expect(status(page)).toHaveText("Online");

  // Saved: a reload without any parameter uses the chosen server.
  await page.reload();
  await expect(status(page)).toHaveText("Online");
  await expect(page.getByText(/\(from your settings\)/)).toBeVisible();
});

test("without clipboard access, Copy invite link says so and shows the link to copy by hand", async ({ browser, appUrl }) => {
  // A browser that refuses clipboard writes (denied permission, an unfocused page, or an
  // origin without clipboard access).
  const context = await browser.newContext();
  await context.addInitScript(() => {
    navigator.clipboard.writeText = () => Promise.reject(new DOMException("Write permission denied.", "NotAllowedError"));
  });
  const page = await context.newPage();
  await page.goto(appUrl());
  await chooseName(page, "Grace");
  const id = await shownId(page);
  await page.getByRole("button", { name: "Invite a friend" }).click();
  await page.getByRole("button", { name: "Copy invite link" }).click();
  await expect(page.getByText("Could not copy; select it above and copy it by hand.")).toBeVisible();
  const field = page.getByRole("textbox", { name: "Invite link" });
  await expect(field).toHaveValue(new RegExp(`#invite=${id}&from=Grace$`));
  await expect(field).not.toBeEditable();
  await context.close();
});

test("installable: the page links a web app manifest with an icon, both served beside it", async ({ page, appUrl, httpBase }) => {
  const missing: string[] = [];
  page.on("response", (r) => {
    if (r.status() >= 400) missing.push(r.url());
  });
  await page.goto(appUrl());
  await expect(page.getByRole("heading", { name: "Welcome to Peerchat" })).toBeVisible();
  const href = await page.locator("link[rel=manifest]").getAttribute("href");
  const manifest = await (await fetch(new URL(href!, httpBase))).json();
  expect(manifest.name).toBe("Peerchat");
  const icon = await fetch(new URL(manifest.icons[0].src, httpBase));
  expect(icon.headers.get("content-type")).toBe("image/svg+xml");
  expect(await page.locator("link[rel=icon]").getAttribute("href")).toMatch(/^data:image\/svg\+xml,/);
  expect(missing).toEqual([]);
});
