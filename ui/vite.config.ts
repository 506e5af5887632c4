import { defineConfig, type Plugin } from "vite";
import { fileURLToPath } from "node:url";

// The NHS design system's CSS loads the Frutiger webfont from a remote host. The app's CSP
// forbids remote origins, so drop those @font-face rules and fall back to the system font
// stack the design system already names (Arial, sans-serif).
function dropRemoteFonts(): Plugin {
  return {
    name: "handover-drop-remote-fonts",
    enforce: "pre",
    transform(code, id) {
      if (!id.includes("nhsuk-frontend") || !id.endsWith(".css")) return null;
      return { code: code.replace(/@font-face\s*{[^}]*https?:\/\/[^}]*}/g, ""), map: null };
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  plugins: [dropRemoteFonts()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari15",
    sourcemap: false,
    // nhsuk-frontend ships minified CSS with old-IE hacks the minifier warns about; no need to re-minify.
    cssMinify: false,
    // One JS and one CSS file: nothing inline, so the strict CSP (no inline script) holds.
    assetsInlineLimit: 0,
    // pdf.js (loaded only when a PDF attachment is opened) is large by nature.
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
  },
});
