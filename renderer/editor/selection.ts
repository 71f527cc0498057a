// The selected segments of the open image. Never part of history; tools and actions read it.
export type SelectMode = 'replace' | 'add' | 'toggle' | 'remove';

export class Selection {
  private set = new Set<number>();
  private readonly listeners = new Set<() => void>();

  get ids(): number[] {
    return [...this.set];
  }
  get size(): number {
    return this.set.size;
  }
  has(id: number): boolean {
    return this.set.has(id);
  }
  /** The only selected id, or null when none or several are selected. */
  get single(): number | null {
    return this.set.size === 1 ? this.set.values().next().value! : null;
  }

  apply(ids: readonly number[], mode: SelectMode = 'replace'): void {
    const before = this.ids.join(',');
    if (mode === 'replace') this.set = new Set(ids.filter((id) => id > 0));
    for (const id of ids) {
      if (id <= 0) continue;
      if (mode === 'add') this.set.add(id);
      else if (mode === 'remove') this.set.delete(id);
      else if (mode === 'toggle') {
        if (this.set.has(id)) this.set.delete(id);
        else this.set.add(id);
      }
    }
    if (this.ids.join(',') !== before) for (const fn of this.listeners) fn();
  }

  clear(): void {
    this.apply([], 'replace');
  }

  /** Drops ids that no longer exist. */
  retain(exists: (id: number) => boolean): void {
    const gone = this.ids.filter((id) => !exists(id));
    if (gone.length) this.apply(gone, 'remove');
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
