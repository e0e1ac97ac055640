// Several signaling servers at once, against two real stock `peer` servers on loopback:
// people who share only one server meet through it, a server that stops costs nothing
// while the other works, and a hostile relay in front of one server is caught while the
// other carries the real call.
import { test, expect, PeerServer, freePort, person, befriend, contact, messages, say, startChat, status } from "./support";
import { HijackingRelay } from "./relay";

/** The page address that uses these servers (the `signal` parameter takes a list). */
function using(httpBase: string, ...endpoints: string[]): string {
  return `${httpBase}?signal=${encodeURIComponent(endpoints.join(","))}`;
}

test("two servers: people who share only one meet through it, each server's status is shown, and invite links carry the list", async ({ browser, httpBase, peer }) => {
  const other = new PeerServer(await freePort());
  await other.start();
  try {
    const a = await person(browser, using(httpBase, peer.endpoint, other.endpoint), "Alice");
    const b = await person(browser, using(httpBase, other.endpoint), "Bob");
    const servers = a.page.getByRole("list", { name: "Signaling servers" });
    await expect(servers.getByRole("listitem")).toHaveText([`${peer.endpoint}/: Online`, `${other.endpoint}/: Online`]);
    // The invite link names both servers, so a friend who opens it meets Alice on them.
    await a.page.getByRole("button", { name: "Invite a friend" }).click();
    const dialog = a.page.getByRole("dialog", { name: "Invite a friend" });
    const link = await dialog.getByRole("textbox", { name: "Invite link" }).inputValue();
    expect(new URL(link).searchParams.get("signal")).toBe(`${peer.endpoint}/,${other.endpoint}/`);
    await a.page.keyboard.press("Escape");

    await befriend(a, "Alice", b, "Bob");
    await contact(a.page, "Bob").click();
    await say(a.page, "through the server we share");
    await expect(messages(a.page).getByRole("article").last()).toContainText("Delivered");
    // The connection details name the server that introduced them.
    await a.page.getByRole("button", { name: "Connection details" }).click();
    await expect(a.page.getByRole("region", { name: "Connection details" })).toContainText(`${other.endpoint}/ (signaling server)`);

    // Settings take the list too, one per line, and keep it.
    await b.page.getByRole("button", { name: "Settings" }).click();
    const settings = b.page.getByRole("dialog", { name: "Settings" });
    await settings.getByText("Advanced network settings").click();
    await settings.getByRole("textbox", { name: "Signaling servers" }).fill(`${other.endpoint}\n${peer.endpoint}`);
    await settings.getByRole("button", { name: "Save" }).click();
    await b.page.goto(httpBase);
    await expect(b.page.getByText("Signaling server: 2 servers (from your settings)")).toBeVisible();
    await expect(b.page.getByRole("list", { name: "Signaling servers" }).getByRole("listitem")).toHaveText([`${other.endpoint}/: Online`, `${peer.endpoint}/: Online`]);
    await expect(status(b.page)).toHaveText("Online");
    await expect(contact(b.page, "Alice")).toHaveAccessibleName(/^Alice, online/);
    await a.context.close();
    await b.context.close();
  } finally {
    await other.stop();
  }
});

test("two servers: one stops mid-session; the status says so and new conversations still start through the other", async ({ browser, httpBase, peer }) => {
  const first = new PeerServer(await freePort());
  await first.start();
  try {
    const both = using(httpBase, first.endpoint, peer.endpoint);
    const a = await person(browser, both, "Alice");
    const b = await person(browser, both, "Bob");
    await befriend(a, "Alice", b, "Bob");

    await first.stop();
    await expect(status(a.page)).toHaveText("Online (1 of 2 servers)");
    await expect(a.page.getByRole("list", { name: "Signaling servers" })).toContainText(`${first.endpoint}/: Offline`);
    // The open conversation is untouched, and a new one starts through the server left.
    await expect(contact(a.page, "Bob")).toHaveAccessibleName(/^Bob, online/);
    // Carol's page cannot reach the stopped server either: it says so, and still works.
    const carol = await browser.newContext();
    const page = await carol.newPage();
    await page.goto(both);
    await page.getByRole("textbox", { name: "Your name" }).fill("Carol");
    await page.getByRole("button", { name: "Start chatting" }).click();
    await expect(status(page)).toHaveText("Online (1 of 2 servers)");
    const carolId = (await page.getByLabel("Your Peerchat ID").textContent())!.trim();
    await befriend(a, "Alice", { page, id: carolId }, "Carol");
    await contact(page, "Alice").click();
    await say(page, "hello through the server left");
    await contact(a.page, "Carol").click();
    await expect(messages(a.page)).toContainText("hello through the server left");
    await a.context.close();
    await b.context.close();
    await carol.close();
  } finally {
    await first.stop();
  }
});

test("two servers: a relay in front of one hands A's offer for B to M; A refuses M and reaches the real B through the other server", async ({ browser, httpBase, peer }) => {
  const other = new PeerServer(await freePort());
  await other.start();
  const both = using(httpBase, peer.endpoint, other.endpoint);
  const b = await person(browser, both, "Bob");
  const m = await person(browser, using(httpBase, peer.endpoint), "Mallory");
  // A reaches the first server through a hijacking relay, and the second through a slow
  // one, so M's answer comes first.
  const hijack = new HijackingRelay(peer.port, b.id, m.id);
  const hijackPort = await freePort();
  await hijack.start(hijackPort);
  const slow = new HijackingRelay(other.port, "", "", 1_500);
  const slowPort = await freePort();
  await slow.start(slowPort);
  try {
    const a = await person(
      browser,
      using(httpBase, `ws://127.0.0.1:${hijackPort}${peer.path}`, `ws://127.0.0.1:${slowPort}${other.path}`),
      "Alice",
    );
    // Why A's connections end, as the page logs them for whoever debugs.
    const ended: string[] = [];
    a.page.on("console", (m) => ended.push(m.text()));
    await startChat(a.page, b.id);
    await say(a.page, "secret for Bob only");
    // The real Bob gets the request through the other server, and the message with it.
    await b.page.getByRole("navigation", { name: "Message requests" }).getByRole("button").first().click();
    await expect(b.page.getByText("secret for Bob only")).toBeVisible();
    await b.page.getByRole("button", { name: "Accept" }).click();
    await expect(messages(a.page).getByRole("article").last()).toContainText("Delivered");
    // M was caught one of two ways: its connection failed the handshake (A then warns:
    // "a connection claiming to be your contact … was refused"), or B's answer came too,
    // from another DTLS endpoint, while M's connection hung (ICE may pick B's checks on
    // M's connection), and A started over through B's server alone.
    const caught = ended.filter((t) => /handshake failed: the peer claims to be|two different parties answered/.test(t));
    expect(caught.length).toBeGreaterThan(0);
    if (caught.some((t) => t.includes("handshake failed"))) {
      await expect(a.page.getByRole("alert").filter({ hasText: `a connection claiming to be your contact ${b.id} was refused` })).toBeVisible();
    }
    // M got nothing: no request, no message.
    await expect(m.page.getByText(/^No conversations yet/)).toBeVisible();
    await expect(m.page.getByRole("navigation", { name: "Message requests" })).toHaveCount(0);
    await expect(m.page.getByText("secret for Bob only")).toHaveCount(0);
    await a.context.close();
  } finally {
    await hijack.stop();
    await slow.stop();
    await other.stop();
    await b.context.close();
    await m.context.close();
  }
});

test("two servers: someone else holds my ID on one (ID-TAKEN); that server says so, and chats go on through the other", async ({ browser, httpBase, peer }) => {
  const first = new PeerServer(await freePort());
  await first.start();
  const { WebSocket } = await import("ws");
  let squatter: InstanceType<typeof WebSocket> | undefined;
  try {
    const both = using(httpBase, first.endpoint, peer.endpoint);
    const a = await person(browser, both, "Alice");
    const b = await person(browser, both, "Bob");
    await befriend(a, "Alice", b, "Bob");
    // The first server restarts, and another browser registers Alice's ID there (with
    // its own token) before her page is back: the server answers her with ID-TAKEN.
    await first.stop();
    await first.start();
    squatter = new WebSocket(`ws://127.0.0.1:${first.port}${first.path}/peerjs?key=peerjs&id=${a.id}&token=squatter0000000000000000&version=1.5.5`);
    await new Promise((ok, fail) => { squatter!.once("message", ok); squatter!.once("error", fail); });
    const servers = a.page.getByRole("list", { name: "Signaling servers" });
    await expect(servers.getByRole("listitem").first()).toHaveText(`${first.endpoint}/: Offline: your ID is in use by another browser`, { timeout: 20_000 });
    await expect(status(a.page)).toHaveText("Online (1 of 2 servers)");
    // A conversation starts again through the other server: Bob reloads and writes.
    await b.page.reload();
    await contact(b.page, "Alice").click();
    await say(b.page, "still reachable");
    await contact(a.page, "Bob").click();
    await expect(messages(a.page)).toContainText("still reachable");
    await a.context.close();
    await b.context.close();
  } finally {
    squatter?.close();
    await first.stop();
  }
});
