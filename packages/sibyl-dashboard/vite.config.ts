// The page talks to the chain's RPC endpoint at /rpc on its own origin when SIBYL_DASHBOARD_RPC is
// set: the server forwards it there, so a node that sends no CORS headers (CometBFT's default, as
// on the localnet) can still be read from the browser.
import { defineConfig } from "vite";

const target = process.env["SIBYL_DASHBOARD_RPC"];
const proxy = target
  ? {
      "/rpc": { target, changeOrigin: true, rewrite: (path: string) => path.replace(/^\/rpc/, "") },
    }
  : undefined;

export default defineConfig({
  base: "./",
  // CosmJS alone is over 1.5 MB minified; one chunk is fine for a dashboard.
  build: { chunkSizeWarningLimit: 2000 },
  server: { proxy },
  preview: { proxy },
});
