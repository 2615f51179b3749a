// Runs the browser tests (`npm run test:browser [files…]`; default every tests/*.test.mjs) a file more
// than there are cores at a time, after filling the demo once: `govfleet migrate --demo` into a
// temporary data directory, which startServer (server.mjs) copies for each test file's server instead
// of filling the demo again (GOVFLEET_TEST_DEMO_DIR), and starting one headless Chromium whose contexts
// the files share (GOVFLEET_BROWSER_WS; launchBrowser in browser.mjs). A file run on its own (`node
// --test tests/x.test.mjs`) fills its own demo and launches its own Chromium.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { ARGS } from './browser.mjs'

const testsDir = path.dirname(fileURLToPath(import.meta.url))
const bin = process.env.GOVFLEET_BIN || path.resolve(testsDir, '../../bin/govfleet')
const files = process.argv.slice(2)
if (files.length === 0) {
  for (const f of readdirSync(testsDir).sort()) if (f.endsWith('.test.mjs')) files.push(path.join(testsDir, f))
}

const demoDir = mkdtempSync(path.join(os.tmpdir(), 'govfleet-webtest-demo-'))
const cleanup = () => rmSync(demoDir, { recursive: true, force: true })
// The demo's published password hashed with 1 MiB instead of 64: each of the run's ~200 logins checks it in
// ~1 ms of CPU instead of ~80.
const seed = spawnSync(bin, ['migrate', '--demo', '--demo-hash-memory', '1024', '--data-dir', demoDir], { encoding: 'utf8', env: process.env })
if (seed.status !== 0) {
  cleanup()
  console.error(`govfleet migrate --demo failed (${seed.error ?? `exit ${seed.status}`}): ${bin}\n${seed.stdout}${seed.stderr}`)
  process.exit(1)
}

const browser = await chromium.launchServer({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS })
// One file more than there are cores: a file spends much of its time waiting on its page and server.
const concurrency = os.availableParallelism() + 1
const tests = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], {
  stdio: 'inherit',
  env: { ...process.env, GOVFLEET_TEST_DEMO_DIR: demoDir, GOVFLEET_BROWSER_WS: browser.wsEndpoint() },
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => tests.kill(sig))
tests.on('exit', async (code, sig) => {
  await browser.close()
  cleanup()
  process.exit(code ?? (sig ? 1 : 0))
})
