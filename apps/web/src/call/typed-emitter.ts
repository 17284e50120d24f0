type Listener = (...args: never[]) => void;

/** A minimal typed event emitter: the session's only way to talk to the outside (the bridge). */
export class TypedEmitter<Events extends Record<string, unknown[]>> {
  // Listeners are stored untyped; `on` and `emit` are the only doors and both are typed per event.
  private readonly listeners = new Map<keyof Events, Set<Listener>>();

  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const stored = listener as unknown as Listener;
    set.add(stored);
    return () => set.delete(stored);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) (listener as unknown as (...args: Events[K]) => void)(...args);
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }
}
