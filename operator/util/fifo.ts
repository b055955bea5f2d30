// A first-in, first-out queue with O(1) amortised push and shift (Array.prototype.shift moves every
// element): the work queue's lanes and the write limiter's waiters, which can hold 100,000 entries.
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number { return this.items.length - this.head; }

  push(item: T): void { this.items.push(item); }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      // Drop the consumed half so a queue that never empties does not grow without bound.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
