/** A tiny typed event emitter: `on` returns the function that unsubscribes. */
export class Emitter<Events extends { [K in keyof Events]: (...args: any[]) => void }> {
  private listeners: { [K in keyof Events]?: Set<Events[K]> } = {};

  on<K extends keyof Events>(event: K, fn: Events[K]): () => void {
    (this.listeners[event] ??= new Set()).add(fn);
    return () => this.listeners[event]?.delete(fn);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const fn of this.listeners[event] ?? []) {
      try {
        fn(...args);
      } catch (err) {
        console.error(`socialsync: a ${String(event)} listener failed`, err);
      }
    }
  }
}
