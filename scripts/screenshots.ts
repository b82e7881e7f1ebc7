/**
 * `npm run screenshots`: the end-to-end tests with MINDSTAGE_SCREENSHOTS set, so that each saves what it shows under
 * test-output/screenshots/ (every screen in both themes at phone, tablet, laptop and monitor sizes) to be looked
 * at. `npm test` runs the same tests without writing them. Arguments go to vitest (e.g. one file).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const files = process.argv.length > 2 ? process.argv.slice(2) : ['tests/e2e'];
const child = spawn(process.execPath, [vitest, 'run', ...files], { stdio: 'inherit', env: { ...process.env, MINDSTAGE_SCREENSHOTS: '1' } });
child.on('close', (code) => process.exit(code ?? 1));
