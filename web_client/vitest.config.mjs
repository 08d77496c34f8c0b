// Unit tests of the SDK's arithmetic and engine (npm test). Deterministic: time is passed
// in, or faked (vi.useFakeTimers); nothing waits on a real clock or the network.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.mjs", "embed/**/*.test.ts", "dashboard/**/*.test.ts"],
    environment: "node",
  },
});
