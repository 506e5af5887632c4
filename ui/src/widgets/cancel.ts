// A cancellation token: long-running work in the window (drawing a PDF) checks it between steps
// and stops once it is cancelled; clean-up registered with `onCancel` runs then, once.

export class CancelToken {
  private done = false;
  private handlers: (() => void)[] = [];

  /** A token cancelled with `parent` (and on its own). */
  constructor(parent?: CancelToken) {
    parent?.onCancel(() => this.cancel());
  }

  get cancelled(): boolean {
    return this.done;
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    const handlers = this.handlers;
    this.handlers = [];
    for (const handler of handlers) {
      try {
        handler();
      } catch {
        /* clean-up must not stop the rest */
      }
    }
  }

  /** Runs `handler` when the token is cancelled (at once if it already is). */
  onCancel(handler: () => void): void {
    if (this.done) handler();
    else this.handlers.push(handler);
  }
}
