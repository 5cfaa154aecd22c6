import { defineConfig } from '@playwright/test';
import path from 'node:path';

// The server under test: the binary and site built by `cargo leptos build`, on a fresh
// SQLite database in a scratch directory. Paths come from the test script.
const root = path.resolve(__dirname, '..');
const port = process.env.E2E_PORT ?? '3107';
export const baseURL = `http://127.0.0.1:${port}`;
export const serverEnv = {
  KEYPORT_DATA_DIR: process.env.E2E_DATA_DIR ?? path.join(root, 'target', 'e2e-data'),
  LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
  KEYPORT_SITE_ROOT: process.env.E2E_SITE_ROOT ?? path.join(root, 'target', 'site'),
  KEYPORT_USAGE_FLUSH_MS: '200',
  // Every test's browser calls from 127.0.0.1: the portal's per-address limit is not what they test.
  KEYPORT_PORTAL_RATELIMIT_PER_MINUTE: '100000',
  // Likewise the sign-ups per address per hour (20 by default): the suite signs up more than that.
  KEYPORT_SIGNUPS_PER_ADDRESS_PER_HOUR: '1000',
  // Warnings, and the emails the server "sends" without SMTP (the password-reset test reads
  // its link from the log).
  KEYPORT_LOG: 'warn,keyport::email=info',
};
/** Where the server under test logs. */
export const serverLog = path.join(root, 'target', 'e2e-server.log');
export const keyportBin = process.env.KEYPORT_BIN ?? path.join(root, 'target', 'debug', 'keyport');

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  globalSetup: './global-setup.ts',
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `rm -rf "${serverEnv.KEYPORT_DATA_DIR}" && "${keyportBin}" serve > "${serverLog}" 2>&1`,
    url: `${baseURL}/healthz`,
    env: serverEnv,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
