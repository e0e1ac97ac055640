// A hostile peer: a verified peer (the stock-peerjs client of tests/e2e/peerjs-client.html,
// through its test-only `sendRaw` hook) writes garbage, oversized frames, unknown types,
// invalid messages and a flood straight to the data channel. Peerchat drops them, cuts the
// connection at the limits of docs/PROTOCOL.md section 5 (more than 5 invalid frames; a
// token bucket of 1,000 frames refilled at 200/s), stores and shows nothing of it, never
// panics, and keeps working, also for another person chatting at the same time. The
// hostile peer is a contact of the Peerchat user (added or accepted), so that what it
// sends is what a contact's connection would carry.
import type { Page } from "@playwright/test";
import { acceptInClient, clientState, dumpLog, openStockClient, test, watchConsole } from "./stock-client";
import { acceptRequest, befriend, contact, expect, messages, person, say, shownTexts, startChat } from "./support";

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

/** The page's client object, as seen from `page.evaluate`. */
type ClientApi = { send(text: string): number; sendRaw(data: string | ArrayBuffer | Uint8Array): string };

/** A frame to write raw: UTF-8 bytes of a string, given bytes, or a text (string) message. */
type RawFrame = { binary: string } | { bytes: number[] } | { text: string };

const state = (page: Page) => clientState<ClientState>(page);

/** Writes `frames` raw, in order, in one go; returns the connection id they went to. */
function sendRaw(page: Page, frames: RawFrame[]): Promise<string> {
  return page.evaluate((frames) => {
    const client = (window as unknown as { client: ClientApi }).client;
    let conn = "";
    for (const f of frames) {
      if ("binary" in f) conn = client.sendRaw(new TextEncoder().encode(f.binary));
      else if ("bytes" in f) conn = client.sendRaw(new Uint8Array(f.bytes).buffer);
      else conn = client.sendRaw(f.text);
    }
    return conn;
  }, frames);
}

/** Records every accessible name the contact button of `name` takes from now on, so a short
 * offline spell between a drop and the automatic redial is not missed. */
async function recordContact(page: Page, name: string): Promise<void> {
  await page.evaluate((name) => {
    const w = window as unknown as { __contactNames: string[] };
    w.__contactNames = [];
    const tick = () => {
      for (const b of document.querySelectorAll("nav button.contact")) {
        const label = b.getAttribute("aria-label") ?? "";
        if (label.startsWith(`${name},`) && w.__contactNames.at(-1) !== label) w.__contactNames.push(label);
      }
    };
    new MutationObserver(tick).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"] });
    tick();
  }, name);
}

function recorded(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __contactNames: string[] }).__contactNames);
}

type StoredMessage = { id: string; author: string; seq: number; lc: number; ts: number; text: string };

/** Alice's stored conversation with `peerId`: every `peerchat/v1/chat/<peerId>/*` record, parsed. */
function storedChat(page: Page, peerId: string): Promise<Record<string, unknown>> {
  return page.evaluate((peerId) => {
    const prefix = `peerchat/v1/chat/${peerId}/`;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i)!;
      if (key.startsWith(prefix)) out[key.slice(prefix.length)] = JSON.parse(localStorage.getItem(key)!);
    }
    return out;
  }, peerId);
}

/** The messages of a stored conversation, segment by segment. */
function storedMessages(records: Record<string, unknown>): StoredMessage[] {
  const segments = Object.keys(records).filter((k) => k !== "meta").sort((a, b) => Number(a) - Number(b));
  for (const k of segments) expect(k).toMatch(/^\d+$/);
  return segments.flatMap((k) => {
    const seg = records[k] as { v: number; m: StoredMessage[] };
    expect(seg.v).toBe(1);
    return seg.m;
  });
}

/** Every localStorage key and value of the page. */
function allStorage(page: Page): Promise<[string, string][]> {
  return page.evaluate(() => Object.keys(localStorage).map((k) => [k, localStorage.getItem(k) ?? ""] as [string, string]));
}

/** The page runs JavaScript and paints: a frame comes within a second. */
async function expectResponsive(page: Page) {
  const start = Date.now();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  expect(Date.now() - start).toBeLessThan(1_000);
}

/** How often the page verified a connection to `peerId` (a new connection each time). */
function verifications(page: Page, peerId: string): Promise<number> {
  return page.evaluate((id) => performance.getEntriesByName(`peerchat:verified:${id}`).length, peerId);
}

const MARK = "HOSTILE";

test("garbage, oversized frames, unknown types and invalid messages are dropped; the sixth cuts the connection", async ({ browser, appUrl, peer, repoBase }) => {
  const client = await openStockClient(browser, peer, repoBase, "Stock Client");
  const alice = await person(browser, appUrl(), "Alice");
  const aliceConsole = watchConsole(alice.page, "Alice");
  let bob: Awaited<ReturnType<typeof person>> | undefined;
  try {
    await startChat(alice.page, client.id);
    await expect.poll(() => state(client.page).then((s) => s.verified), { timeout: 20_000 }).toBe(true);
    // The client accepts Alice (she dialed it): it sends her its name, and may write to her.
    await acceptInClient(client.page, alice.id);
    await expect(contact(alice.page, "Stock Client")).toHaveAccessibleName(/^Stock Client, online/);

    await client.page.evaluate(() => (window as unknown as { client: ClientApi }).client.send("valid before"));
    await expect(messages(alice.page)).toContainText("valid before");
    await expect.poll(() => state(client.page).then((s) => s.delivered)).toBe(1);
    await recordContact(alice.page, "Stock Client");

    // Five invalid frames, each of which would be the next message (seq 2) if accepted.
    const ts = Date.now();
    const oversized = JSON.stringify({ t: "msg", id: "hostile1", seq: 2, lc: 2, ts, text: `${MARK} oversized` });
    const firstFive: RawFrame[] = [
      // Not JSON, not even UTF-8.
      { bytes: [0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0xfe, 0x7b, 0x22, 0x74] },
      // A well-formed next message padded with JSON whitespace to 20,000 bytes.
      { binary: oversized + " ".repeat(20_000 - oversized.length) },
      { binary: JSON.stringify({ t: "nonsense" }) },
      { binary: JSON.stringify({ t: "msg", id: "hostile2", seq: 2, lc: 2, ts, text: `${MARK} extra field`, x: 1 }) },
      { binary: JSON.stringify({ t: "msg", id: "hostile3", seq: 0, lc: 2, ts, text: `${MARK} seq zero` }) },
    ];
    expect(new TextEncoder().encode((firstFive[1] as { binary: string }).binary).length).toBe(20_000);
    const conn = await sendRaw(client.page, firstFive);

    // Five are tolerated: the connection stays, and a valid message after them (ordered
    // channel, so processed after them) is stored and acknowledged.
    await client.page.evaluate(() => (window as unknown as { client: ClientApi }).client.send("valid between"));
    await expect.poll(() => state(client.page).then((s) => s.delivered)).toBe(2);
    await expect(messages(alice.page)).toContainText("valid between");
    expect(await recorded(alice.page)).toEqual([expect.stringMatching(/^Stock Client, online/)]);

    // The sixth invalid frame (a control character in the text) cuts the connection; what
    // follows on it, even a valid next message, is never processed.
    const rest: RawFrame[] = [
      { binary: JSON.stringify({ t: "msg", id: "hostile4", seq: 3, lc: 3, ts, text: `${MARK} bell\u0007` }) },
      { text: `${MARK} not json at all` },
      { binary: JSON.stringify({ t: "msg", id: "hostile5", seq: 3, lc: 3, ts, text: `${MARK} valid after the limit` }) },
    ];
    expect(await sendRaw(client.page, rest)).toBe(conn);

    // Dropped: the client sees its connection closed by Alice, Alice shows the contact offline.
    await expect
      .poll(() => state(client.page).then((s) => s.log.some((l) => l.startsWith(`closed by peer ${alice.id} ${conn}`))), { timeout: 10_000 })
      .toBe(true);
    await expect.poll(() => recorded(alice.page), { timeout: 10_000 }).toContainEqual("Stock Client, offline");

    // Nothing of it is shown...
    expect(await shownTexts(alice.page)).toEqual(["valid before", "valid between"]);
    expect(await alice.page.locator("body").textContent()).not.toContain(MARK);
    // ...or stored: only the two valid messages, by the client, seq 1 and 2.
    const records = await storedChat(alice.page, client.id);
    expect(Object.keys(records).filter((k) => k !== "meta")).toEqual(["0"]);
    const stored = storedMessages(records);
    expect(stored.map((m) => [m.text, m.author, m.seq])).toEqual([
      ["valid before", client.id, 1],
      ["valid between", client.id, 2],
    ]);
    const storage = await allStorage(alice.page);
    expect(storage.filter(([k, v]) => k.includes("damaged") || v.includes(MARK))).toEqual([]);

    // Alice's app still works: she chats with Bob, both ways.
    await expectResponsive(alice.page);
    bob = await person(browser, appUrl(), "Bob");
    const bobConsole = watchConsole(bob.page, "Bob");
    await befriend(alice, "Alice", bob, "Bob");
    await expect(contact(alice.page, "Bob")).toHaveAccessibleName("Bob, online");
    await contact(alice.page, "Bob").click();
    await say(alice.page, "hello Bob after the garbage");
    await contact(bob.page, "Alice").click();
    await expect(messages(bob.page)).toContainText("hello Bob after the garbage");
    await say(bob.page, "hi Alice");
    await expect(messages(alice.page)).toContainText("hi Alice");
    await expect(messages(alice.page).getByRole("article").filter({ hasText: "hello Bob after the garbage" })).toContainText("Delivered");
    expect(await shownTexts(alice.page)).toEqual(["hello Bob after the garbage", "hi Alice"]);

    // Still nothing invalid stored, whatever the automatic redial of the client did meanwhile.
    expect(storedMessages(await storedChat(alice.page, client.id)).map((m) => m.text)).toEqual(["valid before", "valid between"]);
    expect((await allStorage(alice.page)).filter(([k, v]) => k.includes("damaged") || v.includes(MARK))).toEqual([]);
    expect([...aliceConsole.panics, ...bobConsole.panics]).toEqual([]);
    if (aliceConsole.errors.length) console.log(`console errors (not failing):\n${aliceConsole.errors.join("\n")}`);
  } catch (e) {
    await dumpLog(client.page);
    throw e;
  } finally {
    if (process.env.PEERJS_LOG) await dumpLog(client.page);
    await client.context.close();
    await alice.context.close();
    await bob?.context.close();
  }
});

test("a flood of 3,000 frames cuts the connection; Alice stays responsive and her chat with Bob goes on", async ({ browser, appUrl, peer, repoBase }) => {
  const alice = await person(browser, appUrl(), "Alice");
  const bob = await person(browser, appUrl(), "Bob");
  const consoles = [watchConsole(alice.page, "Alice"), watchConsole(bob.page, "Bob")];
  await befriend(alice, "Alice", bob, "Bob");
  await expect(contact(alice.page, "Bob")).toHaveAccessibleName("Bob, online");
  await contact(bob.page, "Alice").click();
  await contact(alice.page, "Bob").click();
  await say(alice.page, "before the flood");
  await expect(messages(bob.page)).toContainText("before the flood");

  // The hostile client dials Alice and verifies; Alice accepts its request, then goes back
  // to her conversation with Bob.
  const client = await openStockClient(browser, peer, repoBase, "Stock Client", { target: alice.id });
  try {
    await expect.poll(() => state(client.page).then((s) => s.verified), { timeout: 20_000 }).toBe(true);
    await acceptRequest(alice.page, "Stock Client");
    await expect(contact(alice.page, "Stock Client")).toHaveAccessibleName(/^Stock Client, online/);
    await contact(alice.page, "Bob").click();
    await expect(messages(alice.page)).toContainText("before the flood");
    await recordContact(alice.page, "Stock Client");
    const bobLinks = [await verifications(alice.page, bob.id), await verifications(bob.page, alice.id)];

    // 3,000 well-formed acks in a tight loop, while Bob writes to Alice.
    const [flood] = await Promise.all([
      client.page.evaluate(() => {
        const client = (window as unknown as { client: ClientApi }).client;
        const frame = new TextEncoder().encode(JSON.stringify({ t: "ack", upto: 0 }));
        let sent = 0, conn = "", error = "";
        for (let i = 0; i < 3000; i++) {
          try {
            conn = client.sendRaw(frame);
            sent++;
          } catch (e) {
            error = String(e);
            break;
          }
        }
        return { sent, conn, error };
      }),
      say(bob.page, "during the flood"),
    ]);
    // More than the bucket holds went out before the channel closed.
    expect(flood.sent, flood.error).toBeGreaterThan(1_500);

    // Dropped within seconds.
    await expect
      .poll(() => state(client.page).then((s) => s.log.some((l) => l.startsWith(`closed by peer ${alice.id} ${flood.conn}`))), { timeout: 10_000 })
      .toBe(true);
    await expect.poll(() => recorded(alice.page), { timeout: 10_000 }).toContainEqual("Stock Client, offline");

    // Alice is responsive, and the connection with Bob was never touched.
    await expectResponsive(alice.page);
    await expect(messages(alice.page)).toContainText("during the flood");
    await expect(contact(alice.page, "Bob")).toHaveAccessibleName("Bob, online");
    await say(alice.page, "after the flood");
    await expect(messages(bob.page)).toContainText("after the flood");
    await say(bob.page, "still here");
    await expect(messages(alice.page)).toContainText("still here");
    await expect(messages(alice.page).getByRole("article").filter({ hasText: "after the flood" })).toContainText("Delivered");
    await expect(messages(bob.page).getByRole("article").filter({ hasText: "still here" })).toContainText("Delivered");
    const all = ["before the flood", "during the flood", "after the flood", "still here"];
    expect(await shownTexts(alice.page)).toEqual(all);
    expect(await shownTexts(bob.page)).toEqual(all);
    expect([await verifications(alice.page, bob.id), await verifications(bob.page, alice.id)]).toEqual(bobLinks);

    // The client sent no message: nothing stored for it.
    expect(storedMessages(await storedChat(alice.page, client.id))).toEqual([]);
    expect(consoles.flatMap((c) => c.panics)).toEqual([]);
    const errors = consoles.flatMap((c) => c.errors);
    if (errors.length) console.log(`console errors (not failing):\n${errors.join("\n")}`);
  } catch (e) {
    await dumpLog(client.page);
    throw e;
  } finally {
    if (process.env.PEERJS_LOG) await dumpLog(client.page);
    await client.context.close();
    await alice.context.close();
    await bob.context.close();
  }
});
