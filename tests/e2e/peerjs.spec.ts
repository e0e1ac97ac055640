// Interoperability: a client written from docs/PROTOCOL.md alone, on the stock npm `peerjs`
// 1.5.5 library (tests/e2e/peerjs-client.html), chats with a Peerchat user over real WebRTC,
// both when it dials the Peerchat user and when the Peerchat user dials it. Each side
// decides alone whom it treats as a contact (protocol version 2): until the one who was
// dialed accepts the other, the dialer's messages wait there as a message request, sent but
// never acknowledged, and the one who was dialed sends neither its name nor messages.
import type { Page } from "@playwright/test";
import { acceptInClient, clientState, dumpLog, openStockClient, test } from "./stock-client";
import { acceptRequest, contact, expect, messages, person, request, say, shownTexts, startChat } from "./support";

type ClientState = {
  id: string | null;
  registered: boolean;
  peerId: string | null;
  verified: boolean;
  peerName: string | null;
  received: string[];
  delivered: number;
  contacts: string[];
  requests: Record<string, { name: string | null; texts: string[] }>;
  warnings: string[];
  error: string | null;
  log: string[];
};

/** The page's client object, as seen from `page.evaluate`. */
type ClientApi = { send(text: string): number };

const state = (page: Page) => clientState<ClientState>(page);

/** The frames of `type` the client received from `peerId` so far. */
function framesIn(s: ClientState, peerId: string): { t: string }[] {
  return s.log.filter((l) => l.startsWith(`in ${peerId} {`)).map((l) => JSON.parse(l.slice(`in ${peerId} `.length).replace(/ @\S+$/, "")));
}

test("the stock peerjs client dials a Peerchat user: handshake, a message request until accepted, messages both ways, acks", async ({ browser, appUrl, peer, repoBase }) => {
  const alice = await person(browser, appUrl(), "Alice");
  const client = await openStockClient(browser, peer, repoBase, "Stock Client", { target: alice.id });
  try {
    await expect.poll(() => state(client.page).then((s) => s.verified), { timeout: 20_000 }).toBe(true);
    let s = await state(client.page);
    expect(s.error).toBeNull();
    // The client dialed Alice, so she is its contact: it sent its name. She has not added
    // it: it is a message request under the name it announced, and she sent it no name.
    expect(s.contacts).toEqual([alice.id]);
    await expect(request(alice.page, "Stock Client")).toBeVisible();
    expect(s.peerName).toBeNull();

    await client.page.evaluate(() => (window as unknown as { client: ClientApi }).client.send("hello from peerjs"));
    await expect(request(alice.page, "Stock Client")).toHaveAccessibleName("Stock Client, request, 1 message");
    await request(alice.page, "Stock Client").click();
    await expect(alice.page.getByRole("region", { name: "Message request" })).toBeVisible();
    await expect(messages(alice.page)).toContainText("hello from peerjs");
    // Held, not acknowledged: sent, not delivered; and Alice sent nothing but the handshake
    // and `sync` with have 0 (no name, no ack, no message).
    await alice.page.waitForTimeout(500);
    s = await state(client.page);
    expect(s.delivered).toBe(0);
    expect(s.peerName).toBeNull();
    expect(framesIn(s, alice.id).map((f) => f.t)).toEqual(["hello", "proof", "sync"]);
    expect(framesIn(s, alice.id)[2]).toEqual({ t: "sync", have: 0 });
    await expect(client.page.getByRole("list", { name: "Messages" })).toContainText("Sent");

    // Alice accepts: the client gets her name, sends the message again, and she keeps and
    // acknowledges it.
    await acceptRequest(alice.page, "Stock Client");
    await expect(contact(alice.page, "Stock Client")).toHaveAccessibleName(/^Stock Client, online/);
    await expect.poll(() => state(client.page).then((s) => s.peerName)).toBe("Alice");
    await expect.poll(() => state(client.page).then((s) => s.delivered)).toBe(1);
    await contact(alice.page, "Stock Client").click();
    await expect(messages(alice.page)).toContainText("hello from peerjs");
    expect(await shownTexts(alice.page)).toEqual(["hello from peerjs"]);

    await say(alice.page, "hi back");
    await expect.poll(() => state(client.page).then((s) => s.received)).toEqual(["hi back"]);
    await expect(messages(alice.page).getByRole("article").last()).toContainText("Delivered");
    expect(await shownTexts(alice.page)).toEqual(["hello from peerjs", "hi back"]);
    // Still exactly once each, and no complaints on either side.
    await alice.page.waitForTimeout(500);
    expect(await shownTexts(alice.page)).toEqual(["hello from peerjs", "hi back"]);
    s = await state(client.page);
    expect(s.received).toEqual(["hi back"]);
    expect(s.error).toBeNull();
    expect(s.warnings).toEqual([]);
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

test("a Peerchat user dials the stock peerjs client: handshake, a message request until accepted, messages both ways", async ({ browser, appUrl, peer, repoBase }) => {
  const client = await openStockClient(browser, peer, repoBase, "Stock Client");
  const alice = await person(browser, appUrl(), "Alice");
  try {
    await startChat(alice.page, client.id);
    await expect.poll(() => state(client.page).then((s) => s.verified), { timeout: 20_000 }).toBe(true);
    let s = await state(client.page);
    expect(s.error).toBeNull();
    expect(s.peerId).toBe(alice.id);
    // Alice added the client: she sent her name. The client has not added her: it sent her
    // no name, so she sees its verified ID.
    await expect.poll(() => state(client.page).then((s) => s.peerName)).toBe("Alice");
    expect(s.contacts).toEqual([]);
    await expect(contact(alice.page, client.id)).toHaveAccessibleName(`${client.id}, online`);

    // Alice's message waits at the client as a request: held, not acknowledged.
    await say(alice.page, "hello stock client");
    await expect.poll(() => state(client.page).then((s) => s.requests[alice.id]?.texts)).toEqual(["hello stock client"]);
    await alice.page.waitForTimeout(500);
    s = await state(client.page);
    expect(s.received).toEqual([]);
    expect(s.log.filter((l) => l.startsWith(`out ${alice.id} {"t":"ack"`) || l.startsWith(`out ${alice.id} {"t":"name"`))).toEqual([]);
    await expect(messages(alice.page).getByRole("article").last()).toContainText("Sent");

    // The person at the client accepts: Alice gets its name, sends again, and it is delivered.
    await acceptInClient(client.page, alice.id);
    await expect(contact(alice.page, "Stock Client")).toHaveAccessibleName(/^Stock Client, online/);
    await expect.poll(() => state(client.page).then((s) => s.received)).toEqual(["hello stock client"]);
    await expect(messages(alice.page).getByRole("article").last()).toContainText("Delivered");
    expect((await state(client.page)).requests).toEqual({});

    await client.page.evaluate(() => (window as unknown as { client: ClientApi }).client.send("reply from peerjs"));
    await expect(messages(alice.page)).toContainText("reply from peerjs");
    await expect.poll(() => state(client.page).then((s) => s.delivered)).toBe(1);
    expect(await shownTexts(alice.page)).toEqual(["hello stock client", "reply from peerjs"]);
    s = await state(client.page);
    expect(s.received).toEqual(["hello stock client"]);
    expect(s.error).toBeNull();
    expect(s.warnings).toEqual([]);
  } catch (e) {
    await dumpLog(client.page);
    throw e;
  } finally {
    if (process.env.PEERJS_LOG) await dumpLog(client.page);
    await client.context.close();
    await alice.context.close();
  }
});
