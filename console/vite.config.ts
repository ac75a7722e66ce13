import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";

// Static files only: served by `make run` at http://127.0.0.1:3000/ and from S3 behind CloudFront.
export default defineConfig({
  plugins: [preact()],
  base: "./",
  // amazon-cognito-identity-js still reads Node's `global`.
  define: { global: "globalThis" },
  build: { target: "es2022", sourcemap: false, outDir: "dist", emptyOutDir: true, manifest: true },
  test: { environment: "node", include: ["tests/**/*.test.ts"] },
});
