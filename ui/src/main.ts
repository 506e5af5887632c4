import "nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css";
import "./styles.css";
import { api, CommandError } from "./api";
import { App } from "./app";
import type { AppStatus } from "./bindings/AppStatus";
import { clear, h } from "./widgets/dom";
import { renderStoreError } from "./views/shell";

async function start(): Promise<void> {
  const root = document.getElementById("app");
  if (!root) return;
  let status: AppStatus;
  try {
    status = await api.appStatus();
  } catch (e) {
    const err = e instanceof CommandError ? e : new CommandError({ code: "internal", message: String(e) });
    clear(root);
    root.append(renderStoreError(err));
    root.setAttribute("aria-busy", "false");
    return;
  }
  new App(status).mount(root);
  root.setAttribute("aria-busy", "false");
}

void start().catch((e) => {
  const root = document.getElementById("app");
  if (root) {
    clear(root);
    root.append(h("p", { class: "nhsuk-error-message" }, `Handover failed to start: ${String(e)}`));
  }
});
