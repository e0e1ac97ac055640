// Shared pieces of the browser tests: real stock `peer` servers and a static server for
// dist/, both on loopback, and helpers that act as a person would.
import { test as base, expect, type Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../../scripts/serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));

export const DIST = resolve(here, "../../dist");
const PEER_BIN = resolve(here, "../../node_modules/peer/dist/bin/peerjs.js");

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

/** Kills a server process the tests started and waits until it is gone. */
async function kill(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGKILL");
  await exited;
}

/** A stock `peer` server process on loopback that can be stopped and started again. */
export class PeerServer {
  private proc?: ChildProcess;
  constructor(readonly port: number, readonly path = "/peerchat") {}

  /** The endpoint as Peerchat takes it (the `signal` page parameter). */
  get endpoint(): string {
    return `ws://127.0.0.1:${this.port}${this.path}`;
  }

  async start(): Promise<void> {
    this.proc = spawn(
      process.execPath,
      [PEER_BIN, "--host", "127.0.0.1", "--port", String(this.port), "--path", this.path],
      { stdio: "ignore" },
    );
    // Ready when its health check answers.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}${this.path}`);
        if (res.ok) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`peer server on ${this.port} did not start`);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    await kill(proc);
  }
}

type Fixtures = { appUrl: (extra?: Record<string, string>) => string };
type WorkerFixtures = { peer: PeerServer; httpBase: string };

/** Tests get a shared peer server and static server per worker, and `appUrl()` that points
 * the page at that peer server. */
export const test = base.extend<Fixtures, WorkerFixtures>({
  peer: [
    async ({}, use) => {
      const server = new PeerServer(await freePort());
      await server.start();
      await use(server);
      await server.stop();
    },
    { scope: "worker" },
  ],
  httpBase: [
    async ({}, use) => {
      const server = await serve(DIST, 0);
      await use(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      await new Promise((r) => server.close(r));
    },
    { scope: "worker" },
  ],
  appUrl: async ({ httpBase, peer }, use) => {
    await use((extra = {}) => {
      const params = new URLSearchParams({ signal: peer.endpoint, ...extra });
      return `${httpBase}?${params}`;
    });
  },
});

export { expect };

/** The connection status, as read by a screen reader. */
export function status(page: Page) {
  return page.getByRole("status", { name: "Connection status" });
}

/** Completes the first-visit form with `name`. */
export async function chooseName(page: Page, name: string): Promise<void> {
  await expect(page.getByRole("heading", { name: "Welcome to Peerchat" })).toBeVisible();
  await page.getByRole("textbox", { name: "Your name" }).fill(name);
  await page.getByRole("button", { name: "Start chatting" }).click();
  await expect(page.getByRole("heading", { name: `Hello, ${name}` })).toBeVisible();
}

/** The Peerchat ID shown to the person. */
export async function shownId(page: Page): Promise<string> {
  const text = (await page.getByLabel("Your Peerchat ID").textContent())?.trim() ?? "";
  expect(text).toMatch(/^pc-[a-z2-7]{20}$/);
  return text;
}

/** A person: a separate browser context (own storage) with one page, named and online. */
export async function person(browser: import("@playwright/test").Browser, url: string, name: string) {
  const context = await browser.newContext({ permissions: ["microphone", "camera", "clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  await page.goto(url);
  await chooseName(page, name);
  await expect(status(page)).toHaveText("Online");
  return { context, page, id: await shownId(page) };
}

/** The contact button of `name` in the contact list. */
export function contact(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Chats" }).getByRole("button", { name: new RegExp(`^${name},`) });
}

/** The messages log of the open conversation. */
export function messages(page: Page) {
  return page.getByRole("log", { name: "Messages" });
}

/** Types `text` in the composer and presses Enter. */
export async function say(page: Page, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
  await expect(box).toHaveValue("");
}

/** Waits until what the page shows has caught up with what it knows: Peerchat applies
 * the chat engine's changes a few milliseconds later, in an animation frame (so a fast
 * acknowledgement is not held up by rendering). Two frames and a task cover that. */
export async function settled(page: Page): Promise<void> {
  await page.evaluate(
    () => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 0)))),
  );
}

/** The texts of the messages shown, in order (once the page has settled). */
export async function shownTexts(page: Page): Promise<string[]> {
  await settled(page);
  return messages(page).locator(".msg-text").allTextContents();
}

/** Starts a chat by pasting `id`. */
export async function startChat(page: Page, id: string): Promise<void> {
  await page.getByRole("textbox", { name: "Friend's ID" }).fill(id);
  await page.getByRole("button", { name: "Start chat" }).click();
}

/** Creates a room named `name` in the UI and returns its invite link. */
export async function createRoom(page: Page, name: string): Promise<string> {
  await page.getByRole("textbox", { name: "New room name" }).fill(name);
  await page.getByRole("button", { name: "Create room" }).click();
  await expect(page.getByRole("region", { name: `Room ${name}` })).toBeVisible();
  return inviteOf(page);
}

/** The invite link of the open room, as a person gets it: "Copy room invite link" copies it
 * and shows it in a field (read from the field: test pages share one clipboard). */
export async function inviteOf(page: Page): Promise<string> {
  await page.getByRole("button", { name: "Copy room invite link" }).click();
  const link = await page.getByRole("textbox", { name: "Room invite link" }).inputValue();
  expect(link).toContain("#room=");
  return link;
}

/** Opens a room invite link in an already named person's page. */
export async function joinRoom(page: Page, link: string, room: string): Promise<void> {
  await page.goto(link);
  await expect(page.getByRole("region", { name: `Room ${room}` })).toBeVisible();
}

/** The member list of the open room. */
export function memberList(page: Page) {
  return page.getByRole("list", { name: "Members" });
}

/** The members of the open room. */
export function members(page: Page) {
  return memberList(page).getByRole("listitem");
}

/** The members of the open room shown online. */
export function onlineMembers(page: Page) {
  return memberList(page).getByRole("listitem", { name: /, online$/ });
}

/** The entry of `name` in the message requests. */
export function request(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Message requests" }).getByRole("button", { name: new RegExp(`^${name}, request`) });
}

/** Opens the message request of `name` and accepts it, as a person would. */
export async function acceptRequest(page: Page, name: string): Promise<void> {
  await request(page, name).click();
  await expect(page.getByRole("region", { name: "Message request" })).toBeVisible();
  await page.getByRole("button", { name: "Accept" }).click();
  await expect(contact(page, name)).toBeVisible();
}

/** `a` starts a chat by pasting `b`'s ID, and `b` accepts the request: both are contacts,
 * online. `aName` is the name `b` sees. */
export async function befriend(a: { page: Page }, aName: string, b: { page: Page; id: string }, bName: string): Promise<void> {
  await startChat(a.page, b.id);
  await acceptRequest(b.page, aName);
  await expect(contact(a.page, bName)).toHaveAccessibleName(new RegExp(`^${bName}, online`));
  await expect(contact(b.page, aName)).toHaveAccessibleName(new RegExp(`^${aName}, online`));
}

/** A real coturn TURN server (Debian's `coturn`, installed by scripts/setup.sh) on
 * loopback, with one long-term user. Relayed addresses are on loopback too. */
export class TurnServer {
  private proc?: ChildProcess;
  constructor(readonly port: number, readonly user = "peerchat", readonly password = "turn-secret") {}

  /** The ICE server line as Settings takes it: URL, username, credential. */
  iceLine(password = this.password): string {
    return `turn:127.0.0.1:${this.port}?transport=udp ${this.user} ${password}`;
  }

  async start(): Promise<void> {
    this.proc = spawn(
      "/usr/bin/turnserver",
      [
        "-n", "--no-cli", "--no-tls", "--no-dtls", "--no-tcp-relay",
        "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", `--listening-port=${this.port}`,
        `--min-port=${this.port + 1}`, `--max-port=${this.port + 200}`,
        "--lt-cred-mech", `--user=${this.user}:${this.password}`, "--realm=peerchat.test",
        "--allow-loopback-peers", "--no-software-attribute", "--simple-log", "--log-file=stdout",
        `--pidfile=/tmp/peerchat-turn-${this.port}.pid`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const proc = this.proc;
    // Ready once it says it listens (it prints its sockets as it opens them).
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`turnserver on ${this.port} did not start`)), 15_000);
      let log = "";
      proc.stdout!.on("data", (chunk) => {
        log += chunk;
        if (/Total General servers/.test(log)) {
          clearTimeout(timer);
          ok();
        }
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        fail(new Error(`turnserver exited (${code}): ${log}`));
      });
    });
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    await kill(proc);
  }
}
