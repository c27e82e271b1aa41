/**
 * The turns a play's hosts take in its part that rolls, in inventory order: at most `size`
 * hosts at once, and a host goes only once every host before it has had its turn, is in it,
 * or needs none. So the order is the one `diff` shows and an operator reads in the
 * inventory, however fast each host reaches its turn.
 */
export class Turnstile {
  private readonly holders = new Set<string>();
  /** hosts that had their turn or need none (finished, failed, not serving) */
  private readonly settled = new Set<string>();
  private readonly waiting = new Map<string, () => void>();
  /** failures in a turn so far */
  failed = 0;
  /** once set, no more turns: why */
  stop: string | undefined;

  constructor(private readonly order: readonly string[], private readonly size: number) {}

  get members(): number {
    return this.order.length;
  }

  /** Whether this host is in its turn now. */
  holds(host: string): boolean {
    return this.holders.has(host);
  }

  /** Resolves when it is this host's turn. */
  enter(host: string): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.set(host, resolve);
      this.admit();
    });
  }

  /** This host is done with turns (after its turn, or needing none); says whether it held one. */
  leave(host: string): boolean {
    const held = this.holders.delete(host);
    this.settled.add(host);
    this.waiting.delete(host);
    this.admit();
    return held;
  }

  private admit(): void {
    for (const name of this.order) {
      if (this.holders.size >= this.size) return;
      if (this.holders.has(name) || this.settled.has(name)) continue;
      const go = this.waiting.get(name);
      if (!go) return; // a host before the rest has not reached its turn yet
      this.waiting.delete(name);
      this.holders.add(name);
      go();
    }
  }
}
