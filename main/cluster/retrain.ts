// The classifier's background retrain: a second after the last correction, off the request path,
// one at a time.
const RETRAIN_DELAY_MS = 1000;

export class RetrainTimer {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;

  /** A retrain is waiting for its delay. */
  get scheduled(): boolean {
    return this.timer !== null;
  }

  /** A retrain is waiting or running. */
  get busy(): boolean {
    return this.running || this.timer !== null;
  }

  /**
   * Runs `train` a second after the last call (an earlier pending one is replaced); skipped while
   * one still runs, or when `train` returns null. A failed retrain keeps the previous model (e.g.
   * the person removed the last class of one kind).
   */
  schedule(train: () => Promise<unknown> | null): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) return;
      const run = train();
      if (!run) return;
      this.running = true;
      run
        .catch(() => {})
        .finally(() => {
          this.running = false;
        });
    }, RETRAIN_DELAY_MS);
    this.timer.unref?.();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
