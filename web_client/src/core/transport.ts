import { io, type Socket } from "socket.io-client";
import { SocialSyncError } from "./errors";
import type { Auth, ErrorCode } from "../protocol/types";

export type Answer = Record<string, any>;

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5000;

export interface TransportHandlers {
  /** Every server event (including "session"). */
  event(name: string, data: any): void;
  /** Connected (again): the first time, and after every reconnect. */
  connected(again: boolean): void;
  disconnected(reason: string): void;
}

/**
 * One Socket.IO connection with request/answer calls and its own reconnect loop,
 * which walks through the given URLs (a node may be gone) with jittered backoff.
 */
export class Transport {
  private socket: Socket | null = null;
  private urlIndex = 0;
  private closed = false;
  private everConnected = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly urls: string[],
    private auth: Auth,
    private readonly handlers: TransportHandlers,
    private readonly timeoutMs = 10_000,
  ) {}

  private fallbackAuth: Auth | null = null;

  /** Swap the credentials used by the next (re)connect, e.g. a guest's own token;
   * if the server refuses them, the ones used so far are tried again. */
  setAuth(auth: Auth): void {
    if (!this.fallbackAuth && "guest" in this.auth) this.fallbackAuth = this.auth;
    this.auth = auth;
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Connect once; rejects with the server's refusal (e.g. unauthorized). */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const url = this.urls[this.urlIndex % this.urls.length];
      const socket = io(url, {
        auth: (cb) => cb(this.auth),
        transports: ["websocket", "polling"],
        reconnection: false,
        timeout: this.timeoutMs,
        forceNew: true,
      });
      this.socket = socket;
      let settled = false;
      socket.onAny((event: string, data: any) => this.handlers.event(event, data));
      socket.on("connect", () => {
        settled = true;
        const again = this.everConnected;
        this.everConnected = true;
        resolve();
        this.handlers.connected(again);
      });
      socket.on("connect_error", (err: Error & { data?: { code?: ErrorCode; message?: string } }) => {
        socket.close();
        const refusal = err.data;
        const error = refusal?.code
          ? new SocialSyncError(refusal.code, refusal.message ?? err.message, refusal as Record<string, unknown>)
          : new SocialSyncError("unavailable", err.message);
        if (!settled) {
          settled = true;
          reject(error);
        }
      });
      socket.on("server.draining", () => {
        // The node is stopping: move to the next one now rather than when it closes us.
        socket.disconnect(); // reports "io client disconnect", which does not reconnect by itself
        this.scheduleReconnect(RECONNECT_MIN_MS);
      });
      socket.on("disconnect", (reason: string) => {
        this.handlers.disconnected(reason);
        if (!this.closed && reason !== "io client disconnect") this.scheduleReconnect(RECONNECT_MIN_MS);
      });
    });
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.closed || this.retryTimer) return;
    const jitter = Math.random() * delayMs * 0.5;
    this.retryTimer = setTimeout(async () => {
      this.retryTimer = null;
      this.urlIndex += 1;
      try {
        await this.connect();
      } catch (err) {
        if (err instanceof SocialSyncError && err.code === "unauthorized") {
          if (this.fallbackAuth) {
            // The guest token expired: come back as a new guest of the same name.
            this.auth = this.fallbackAuth;
            this.fallbackAuth = null;
          } else {
            this.handlers.disconnected("unauthorized");
            return; // credentials will not get better by retrying
          }
        }
        this.scheduleReconnect(Math.min(delayMs * 2, RECONNECT_MAX_MS));
      }
    }, delayMs + jitter);
  }

  /** Send an event and wait for its answer; rejects with SocialSyncError when not ok. */
  async request(event: string, payload: unknown, timeoutMs = this.timeoutMs): Promise<Answer> {
    const socket = this.socket;
    if (!socket?.connected) throw new SocialSyncError("unavailable", `${event}: not connected`);
    let answer: Answer;
    try {
      answer = await socket.timeout(timeoutMs).emitWithAck(event, payload);
    } catch {
      throw new SocialSyncError("unavailable", `${event}: no answer`);
    }
    if (!answer || answer.ok !== true) {
      const error = answer?.error ?? {};
      throw new SocialSyncError(error.code ?? "internal", error.message ?? "malformed answer", answer ?? {});
    }
    return answer;
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close();
  }
}
