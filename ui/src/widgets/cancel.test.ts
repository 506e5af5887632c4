import { describe, expect, it } from "vitest";
import { CancelToken } from "./cancel";

describe("the cancellation token", () => {
  it("runs its clean-up once, when cancelled", () => {
    const token = new CancelToken();
    let runs = 0;
    token.onCancel(() => runs++);
    expect(token.cancelled).toBe(false);
    expect(runs).toBe(0);
    token.cancel();
    token.cancel();
    expect(token.cancelled).toBe(true);
    expect(runs).toBe(1);
  });

  it("runs clean-up registered after cancelling at once", () => {
    const token = new CancelToken();
    token.cancel();
    let ran = false;
    token.onCancel(() => (ran = true));
    expect(ran).toBe(true);
  });

  it("is cancelled with its parent, not the other way round", () => {
    const parent = new CancelToken();
    const a = new CancelToken(parent);
    const b = new CancelToken(parent);
    a.cancel();
    expect(parent.cancelled).toBe(false);
    expect(b.cancelled).toBe(false);
    parent.cancel();
    expect(b.cancelled).toBe(true);
  });

  it("keeps running clean-up when one throws", () => {
    const token = new CancelToken();
    let ran = false;
    token.onCancel(() => {
      throw new Error("boom");
    });
    token.onCancel(() => (ran = true));
    token.cancel();
    expect(ran).toBe(true);
  });
});
