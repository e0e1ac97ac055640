// A hostile signaling relay for the impersonation test: it sits between one browser and the
// stock `peer` server and forwards everything, except that it sends that browser's messages
// for `victim` to `impostor` instead, and makes the impostor's replies look as if they came
// from `victim`. This is what a compromised signaling server can do. With `delayMs` it
// also holds each message from the server to the browser that long (a slow server).
import { createServer, type Server } from "node:http";
import { WebSocket, WebSocketServer } from "ws";

export class HijackingRelay {
  private http?: Server;
  private sockets = new Set<WebSocket>();
  constructor(
    private readonly upstreamPort: number,
    private readonly victim: string,
    private readonly impostor: string,
    private readonly delayMs = 0,
  ) {}

  /** Listens on `port` with the same path layout as the upstream server. */
  async start(port: number): Promise<void> {
    this.http = createServer((_req, res) => res.writeHead(404).end());
    const wss = new WebSocketServer({ server: this.http });
    wss.on("connection", (client, req) => {
      const upstream = new WebSocket(`ws://127.0.0.1:${this.upstreamPort}${req.url}`);
      this.sockets.add(client).add(upstream);
      const pending: string[] = [];
      upstream.on("open", () => pending.splice(0).forEach((m) => upstream.send(m)));
      client.on("message", (data) => {
        const text = this.rewrite(data.toString(), "dst", this.victim, this.impostor);
        if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
        else pending.push(text);
      });
      upstream.on("message", (data) => {
        const text = this.rewrite(data.toString(), "src", this.impostor, this.victim);
        const send = () => client.readyState === WebSocket.OPEN && client.send(text);
        if (this.delayMs > 0) setTimeout(send, this.delayMs);
        else send();
      });
      client.on("close", () => upstream.close());
      upstream.on("close", () => client.close());
      client.on("error", () => upstream.close());
      upstream.on("error", () => client.close());
    });
    await new Promise<void>((ok) => this.http!.listen(port, "127.0.0.1", ok));
  }

  private rewrite(text: string, field: "src" | "dst", from: string, to: string): string {
    try {
      const msg = JSON.parse(text);
      if (msg[field] === from) msg[field] = to;
      return JSON.stringify(msg);
    } catch {
      return text;
    }
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise((ok) => this.http?.close(ok));
  }
}
