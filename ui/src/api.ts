// The only way the UI reaches data: Tauri commands. Payload types are generated from the Rust
// types by ts-rs (ui/src/bindings), never written by hand.
import { invoke } from "@tauri-apps/api/core";
import type { AppError } from "./bindings/AppError";
import type { AppStatus } from "./bindings/AppStatus";

/** A command failure with the stable `code` the Rust side assigned. */
export class CommandError extends Error {
  readonly code: string;
  constructor(error: AppError) {
    super(error.message);
    this.code = error.code;
    this.name = "CommandError";
  }
}

export function toCommandError(raw: unknown): CommandError {
  if (raw && typeof raw === "object" && "code" in raw && "message" in raw) {
    return new CommandError(raw as AppError);
  }
  return new CommandError({ code: "internal", message: String(raw) });
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toCommandError(raw);
  }
}

export const api = {
  appStatus: () => call<AppStatus>("app_status"),
};
