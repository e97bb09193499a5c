import { defineConfig } from 'vitest/config';

// Lambda runs a current Node.js; Node 20 is supported locally (package engines), so the SDK's
// notice about its future Node 22 floor is noise here. The README says so.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * The test tiers, one vitest project each (`npm run test:<tier>`; `npm test` runs them all).
 * Only the tiers that talk to DynamoDB Local get the global setup that starts it; `unit`
 * needs neither Java nor a network (test/unit/test-tiers.test.ts checks both).
 */
export const TIERS = {
  unit: { folders: ['unit', 'engine', 'scheduler', 'statemachines', 'infra'], dynamodb: false },
  integration: { folders: ['integration'], dynamodb: true },
  e2e: { folders: ['e2e'], dynamodb: true },
  slow: { folders: ['soak', 'faults', 'scale'], dynamodb: true },
  // The web console in Debian's chromium (playwright-core drives it; no browser is downloaded).
  browser: { folders: ['browser'], dynamodb: true },
} as const satisfies Record<string, { folders: readonly string[]; dynamodb: boolean }>;

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: Object.entries(TIERS).map(([name, tier]) => ({
      extends: true as const,
      test: {
        name,
        include: tier.folders.map((folder) => `test/${folder}/**/*.test.ts`),
        // One DynamoDB Local for the whole run, however many of these projects run (see the file).
        ...(tier.dynamodb ? { globalSetup: ['test/support/global-setup.ts'] } : {}),
      },
    })),
  },
});
