/**
 * A bounded memo table that keeps recently used entries: two generations of at most `capacity`
 * entries each. A hit in the old generation moves the entry to the young one; when the young
 * generation is full it becomes the old one (the previous old generation is dropped). So at most
 * 2 × capacity entries are held, and an entry used at least once per `capacity` insertions stays.
 * Cheaper per hit than a strict LRU (no delete and re-insert).
 */
export class BoundedCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  constructor(readonly capacity: number) {}

  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) {
      this.old.delete(key);
      this.insert(key, o);
    }
    return o;
  }

  set(key: K, value: V): void {
    if (this.young.has(key)) this.young.set(key, value);
    else {
      this.old.delete(key);
      this.insert(key, value);
    }
  }

  /** Number of entries held (both generations). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  private insert(key: K, value: V): void {
    if (this.young.size >= this.capacity) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}
