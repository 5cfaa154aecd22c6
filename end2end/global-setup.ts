import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { baseURL, keyportBin, serverEnv } from './playwright.config';

// Waits for the server, then creates an operator token with the real CLI against the same
// database, for the tests that call /v1 as the operator's backend would.
export default async function globalSetup() {
  for (let i = 0; i < 120; i++) {
    try {
      const r = await fetch(`${baseURL}/healthz`);
      if (r.ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  const token = execFileSync(keyportBin, ['tokens', 'create', '--name', 'e2e'], {
    env: { ...process.env, ...serverEnv },
    encoding: 'utf8',
  }).trim();
  if (!token.startsWith('kpr_')) throw new Error(`unexpected token output: ${token}`);
  fs.writeFileSync(path.join(__dirname, '.operator-token'), token, { mode: 0o600 });
}
