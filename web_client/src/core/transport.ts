import { io, type Socket } from "socket.io-client";
import { SocialSyncError } from "./errors";
import type { Auth, ErrorCode } from "../protocol/types";

export type Answer = Record<string, any>;

export interface TransportHandlers {
  /** Every server event (including "session"). */
  event(name: string, data: any): void;
  /** Connected (again): the first time, and after every reconnect. */
  connected(again: boolean): void;
  disconnected(reason: string): void;
}

/**
 * One Socket.IO connection at a time with request/answer calls. It never reconnects by
 * itself: the client's state machine (core/reconnect.ts) opens each new socket. Requests
 * waiting when the socket goes fail at once (`unavailable`), not at their timeout.
 */
export class Transport {
  private socket: Socket | null = null;
  private closed = false;
  private everConnected = false;
  private readonly inflight = new Set<(error: SocialSyncError) => void>();
  /** Rejects the connect under way, if any (its socket was closed or replaced). */
  private abortOpen: (() => void) | null = null;

  constructor(
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

  /** Swap back to the credentials used before `setAuth` (a guest token the server
   * refused); false when there are none. */
  fallBack(): boolean {
    if (!this.fallbackAuth) return false;
    this.auth = this.fallbackAuth;
    this.fallbackAuth = null;
    return true;
  }

  /** Open a new socket to `url` (the old one, if any, is closed first); rejects with
   * the server's refusal (e.g. unauthorized) or `unavailable`. */
  connect(url: string): Promise<void> {
    if (this.closed) return Promise.reject(new SocialSyncError("unavailable", "closed"));
    const old = this.socket;
    this.socket = null;
    this.abortOpen?.();
    if (old) {
      old.close();
      this.failInflight();
    }
    return new Promise((resolve, reject) => {
      const socket = io(url, {
        auth: (cb) => cb(this.auth),
        transports: ["websocket", "polling"],
        reconnection: false,
        timeout: this.timeoutMs,
        forceNew: true,
      });
      this.socket = socket;
      let settled = false;
      this.abortOpen = () => {
        if (settled) return;
        settled = true;
        reject(new SocialSyncError("unavailable", "connect abandoned"));
      };
      // Events of a socket that has been replaced are not this client's any more.
      const current = () => this.socket === socket && !this.closed;
      socket.onAny((event: string, data: any) => {
        if (current()) this.handlers.event(event, data);
      });
      socket.on("connect", () => {
        if (!current()) {
          socket.close();
          return;
        }
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
        if (current()) socket.disconnect(); // reported below, as any loss
      });
      socket.on("disconnect", (reason: string) => {
        if (!current()) return;
        this.failInflight();
        this.handlers.disconnected(reason);
      });
    });
  }

  private failInflight(): void {
    const waiting = [...this.inflight];
    this.inflight.clear();
    for (const fail of waiting) fail(new SocialSyncError("unavailable", "disconnected", { disconnected: true }));
  }

  /** Send an event and wait for its answer; rejects with SocialSyncError when not ok. */
  async request(event: string, payload: unknown, timeoutMs = this.timeoutMs): Promise<Answer> {
    const socket = this.socket;
    if (!socket?.connected) throw new SocialSyncError("unavailable", `${event}: not connected`);
    let answer: Answer;
    let fail: (error: SocialSyncError) => void = () => {};
    const lost = new Promise<never>((_, reject) => (fail = reject));
    this.inflight.add(fail);
    try {
      answer = await Promise.race([socket.timeout(timeoutMs).emitWithAck(event, payload), lost]);
    } catch (err) {
      if (err instanceof SocialSyncError) throw new SocialSyncError("unavailable", `${event}: disconnected`, err.answer);
      throw new SocialSyncError("unavailable", `${event}: no answer`);
    } finally {
      this.inflight.delete(fail);
    }
    if (!answer || answer.ok !== true) {
      const error = answer?.error ?? {};
      throw new SocialSyncError(error.code ?? "internal", error.message ?? "malformed answer", answer ?? {});
    }
    return answer;
  }

  close(): void {
    this.closed = true;
    this.abortOpen?.();
    this.socket?.close();
    this.failInflight();
  }
}
