// Interoperability: a client written from docs/PROTOCOL.md alone, on the stock npm `peerjs`
// 1.5.5 library (tests/e2e/peerjs-client.html), chats with a Peerchat user over real WebRTC,
// both when it dials the Peerchat user and when the Peerchat user dials it.
import type { Page } from "@playwright/test";
import { clientState, dumpLog, openStockClient, test } from "./stock-client";
import { contact, expect, messages, person, say, shownTexts, startChat } from "./support";

type ClientState = {
  id: string | null;
  registered: boolean;
  peerId: string | null;
  verified: boolean;
  peerName: string | null;
  received: string[];
  delivered: number;
  error: string | null;
  log: string[];
};

const state = (page: Page) => clientState<ClientState>(page);

test("the stock peerjs client dials a Peerchat user: handshake, messages both ways, acks", async ({ browser, appUrl, peer, repoBase }) => {
  const alice = await person(browser, appUrl(), "Alice");
  const client = await openStockClient(browser, peer, repoBase, "Stock Client", { target: alice.id });
  try {
    await expect.poll(() => state(client.page).then((s) => s.verified), { timeout: 20_000 }).toBe(true);
    const s = await state(client.page);
    expect(s.error).toBeNull();
    expect(s.peerName).toBe("Alice");

    // Alice sees the new contact with the announced name, online.
    await expect(contact(alice.page, "Stock Client")).toHaveAccessibleName(/^Stock Client, online/);

    await client.page.evaluate(() => (window as unknown as { client: { send(t: string): number } }).client.send("hello from peerjs"));
    await expect(contact(alice.page, "Stock Client")).toHaveAccessibleName("Stock Client, online, 1 unread");
    await contact(alice.page, "Stock Client").click();
    await expect(messages(alice.page)).toContainText("hello from peerjs");
    expect(await shownTexts(alice.page)).toEqual(["hello from peerjs"]);
    // Alice acknowledged it.
    await expect.poll(() => state(client.page).then((s) => s.delivered)).toBe(1);

    await say(alice.page, "hi back");
    await expect.poll(() => state(client.page).then((s) => s.received)).toEqual(["hi back"]);
    await expect(messages(alice.page).getByRole("article").last()).toContainText("Delivered");
    expect(await shownTexts(alice.page)).toEqual(["hello from peerjs", "hi back"]);
    // Still exactly once each, and no complaints on either side.
    await alice.page.waitForTimeout(500);
    expect(await shownTexts(alice.page)).toEqual(["hello from peerjs", "hi back"]);
    expect((await state(client.page)).received).toEqual(["hi back"]);
    expect((await state(client.page)).error).toBeNull();
    // The person sees it on the client page too.
    await expect(client.page.getByRole("list", { name: "Messages" })).toContainText("hi back");
  } catch (e) {
    await dumpLog(client.page);
    throw e;
  } finally {
    if (process.env.PEERJS_LOG) await dumpLog(client.page);
    await client.context.close();
    await alice.context.close();
  }
});

test("a Peerchat user dials the stock peerjs client: handshake, messages both ways", async ({ browser, appUrl, peer, repoBase }) => {
  const client = await openStockClient(browser, peer, repoBase, "Stock Client");
  const alice = await person(browser, appUrl(), "Alice");
  try {
    await startChat(alice.page, client.id);
    await expect.poll(() => state(client.page).then((s) => s.verified), { timeout: 20_000 }).toBe(true);
    const s = await state(client.page);
    expect(s.error).toBeNull();
    expect(s.peerId).toBe(alice.id);
    expect(s.peerName).toBe("Alice");
    await expect(contact(alice.page, "Stock Client")).toHaveAccessibleName(/^Stock Client, online/);

    await say(alice.page, "hello stock client");
    await expect.poll(() => state(client.page).then((s) => s.received)).toEqual(["hello stock client"]);
    await expect(messages(alice.page).getByRole("article").last()).toContainText("Delivered");

    await client.page.evaluate(() => (window as unknown as { client: { send(t: string): number } }).client.send("reply from peerjs"));
    await expect(messages(alice.page)).toContainText("reply from peerjs");
    await expect.poll(() => state(client.page).then((s) => s.delivered)).toBe(1);
    expect(await shownTexts(alice.page)).toEqual(["hello stock client", "reply from peerjs"]);
    expect((await state(client.page)).error).toBeNull();
  } catch (e) {
    await dumpLog(client.page);
    throw e;
  } finally {
    if (process.env.PEERJS_LOG) await dumpLog(client.page);
    await client.context.close();
    await alice.context.close();
  }
});
