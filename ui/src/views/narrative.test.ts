import { describe, expect, it } from "vitest";
import { renderNarrative } from "./narrative";

describe("narrative", () => {
  it("keeps allowlisted markup and every word", () => {
    const box = renderNarrative("<p>Start <b>ramipril</b> 2.5mg.</p><table><tr><td colspan=\"2\">x</td></tr></table>", "");
    expect(box.querySelector("p b")?.textContent).toBe("ramipril");
    expect(box.querySelector("td")?.getAttribute("colspan")).toBe("2");
    expect(box.textContent).toContain("Start ramipril 2.5mg.");
  });
  it("drops scripts, handlers, styles and link targets but keeps the text", () => {
    (window as unknown as Record<string, unknown>).__handoverPwned = undefined;
    const box = renderNarrative(
      '<p onclick="window.__handoverPwned = true" style="display:none">Hidden note: check potassium.</p>' +
        '<script>window.__handoverPwned = true</script><a href="javascript:alert(1)">Open results</a>' +
        '<img src="x" onerror="window.__handoverPwned = true"><custom-el>kept words</custom-el>',
      "",
    );
    document.body.append(box);
    expect(box.querySelector("script, img, a, [onclick], [style]")).toBeNull();
    expect(box.textContent).toContain("Hidden note: check potassium.");
    expect(box.textContent).toContain("Open results");
    expect(box.textContent).toContain("kept words");
    expect((window as unknown as Record<string, unknown>).__handoverPwned).toBeUndefined();
    box.remove();
  });
  it("falls back to the plain text when there is no markup", () => {
    expect(renderNarrative("", "Plain words").textContent).toBe("Plain words");
  });
});
