// What the window remembers between runs: the text size and the width of the list. Kept per
// store (the data directory names it), so two stores on one computer do not share a layout.

export interface Prefs {
  /** Text size: 1 is normal; 0.8 to 2.5. */
  zoom: number;
  /** The list's width in rem, or null to follow the window. */
  listWidthRem: number | null;
}

export const DEFAULT_PREFS: Prefs = { zoom: 1, listWidthRem: null };

/** The text sizes the zoom keys step through. */
export const ZOOM_STEPS = [0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5];

export const LIST_MIN_REM = 18;
export const LIST_MAX_REM = 48;

export interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function clampZoom(z: number): number {
  return Math.min(ZOOM_STEPS[ZOOM_STEPS.length - 1], Math.max(ZOOM_STEPS[0], z));
}

export function clampListWidth(rem: number): number {
  return Math.min(LIST_MAX_REM, Math.max(LIST_MIN_REM, Math.round(rem * 4) / 4));
}

/** The next text size up (+1) or down (-1) from `zoom`. */
export function stepZoom(zoom: number, direction: 1 | -1): number {
  if (direction > 0) return ZOOM_STEPS.find((z) => z > zoom + 0.001) ?? ZOOM_STEPS[ZOOM_STEPS.length - 1];
  return [...ZOOM_STEPS].reverse().find((z) => z < zoom - 0.001) ?? ZOOM_STEPS[0];
}

export class PrefStore {
  private readonly key: string;

  constructor(
    private readonly storage: Storage | null,
    scope: string,
  ) {
    this.key = `handover.prefs:${scope}`;
  }

  load(): Prefs {
    try {
      const raw = this.storage?.getItem(this.key);
      if (!raw) return { ...DEFAULT_PREFS };
      const p = JSON.parse(raw) as Partial<Prefs>;
      return {
        zoom: typeof p.zoom === "number" && Number.isFinite(p.zoom) ? clampZoom(p.zoom) : 1,
        listWidthRem: typeof p.listWidthRem === "number" && Number.isFinite(p.listWidthRem) ? clampListWidth(p.listWidthRem) : null,
      };
    } catch {
      return { ...DEFAULT_PREFS };
    }
  }

  save(p: Prefs): void {
    try {
      this.storage?.setItem(this.key, JSON.stringify(p));
    } catch {
      /* not remembered: the window still works */
    }
  }
}
