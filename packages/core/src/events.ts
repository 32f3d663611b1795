/** A small typed event emitter: `on` returns the function that stops listening. */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(detail: never) => void>>();

  on<K extends keyof Events>(type: K, listener: (detail: Events[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as (detail: never) => void);
    return () => set.delete(listener as (detail: never) => void);
  }

  /** Calls every listener; a listener that throws is reported through `report`, never stops the others. */
  emit<K extends keyof Events>(type: K, detail: Events[K], report?: (error: unknown) => void): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) {
      try {
        (listener as (detail: Events[K]) => void)(detail);
      } catch (error) {
        report?.(error);
      }
    }
  }
}
