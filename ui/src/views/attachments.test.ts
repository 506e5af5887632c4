import { describe, expect, it } from "vitest";
import { CancelToken } from "../widgets/cancel";
import { claimAttachmentView, saveAttachment, showAttachment, showOpening, showSaved, viewAttachment } from "./attachments";
import type { AttachmentData } from "../bindings/AttachmentData";

describe("an attachment's view area", () => {
  it("stops what was drawing there when something new starts in it", () => {
    const scope = new CancelToken();
    const target = document.createElement("div");
    const first = claimAttachmentView(target, scope);
    const second = claimAttachmentView(target, scope);
    expect(first.cancelled).toBe(true);
    expect(second.cancelled).toBe(false);
    // Another attachment's area is independent.
    const other = claimAttachmentView(document.createElement("div"), scope);
    expect(second.cancelled).toBe(false);
    // The pane showing something else stops them all.
    scope.cancel();
    expect(second.cancelled).toBe(true);
    expect(other.cancelled).toBe(true);
  });

  it("shows an image with its type and size, text only", async () => {
    const target = document.createElement("div");
    showOpening(target);
    expect(target.textContent).toBe("Opening…");
    await showAttachment(target, { content_type: "image/png", size: 2048, base64: "iVBORw0KGgo=", display: "image" }, 0, new CancelToken());
    const img = target.querySelector("img");
    expect(img?.getAttribute("src")).toBe("data:image/png;base64,iVBORw0KGgo=");
    expect(img?.getAttribute("alt")).toBe("Attachment 1 (image/png, 2.0 KB)");
  });

  it("offers only saving for other types", async () => {
    const target = document.createElement("div");
    await showAttachment(target, { content_type: "application/msword", size: 10, base64: "", display: "other" }, 1, new CancelToken());
    expect(target.textContent).toBe("This attachment cannot be shown here: save it and open it with a program you trust.");
    showSaved(target, "/home/gp/Downloads/letter.doc");
    expect(target.textContent).toBe("Saved to /home/gp/Downloads/letter.doc. It has not been opened.");
  });
});

describe("viewing and saving", () => {
  const image: AttachmentData = { content_type: "image/png", size: 10, base64: "iVBORw0KGgo=", display: "image" };

  function deferred<T>() {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  }

  it("shows the attachment when it arrives", async () => {
    const target = document.createElement("div");
    await viewAttachment(target, new CancelToken(), 0, async () => image);
    expect(target.querySelector("img")).not.toBeNull();
  });

  it("says why it could not be opened, in the backend's words", async () => {
    const target = document.createElement("div");
    await viewAttachment(target, new CancelToken(), 0, async () => {
      throw { code: "attachment_missing", message: "no attachment 3" };
    });
    expect(target.textContent).toBe("The attachment could not be opened: no attachment 3");
  });

  it("drops an answer that arrives after something else started in the area", async () => {
    const target = document.createElement("div");
    const scope = new CancelToken();
    const slow = deferred<AttachmentData>();
    const first = viewAttachment(target, scope, 0, () => slow.promise);
    await saveAttachment(target, scope, async () => "/home/gp/Downloads/a.png");
    slow.resolve(image);
    await first;
    expect(target.querySelector("img")).toBeNull();
    expect(target.textContent).toBe("Saved to /home/gp/Downloads/a.png. It has not been opened.");
  });

  it("drops an answer that arrives after the pane moved on", async () => {
    const target = document.createElement("div");
    const scope = new CancelToken();
    const slow = deferred<string>();
    const saving = saveAttachment(target, scope, () => slow.promise);
    scope.cancel();
    slow.reject({ code: "io", message: "disk full" });
    await saving;
    expect(target.textContent).toBe("");
  });
});
