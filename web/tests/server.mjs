// Starts a throwaway govfleet backend for the browser tests:
//   $GOVFLEET_BIN (default ../bin/govfleet) serve --demo --listen 127.0.0.1:<free port>
//     --data-dir <fresh temp dir>
// waits for GET /healthz → 200 and returns { baseURL, stop() }.
// With GOVFLEET_TEST_DEMO_DIR set (tests/run.mjs, `npm run test:browser`), the fresh directory starts as a
// copy of that one, where the demo was filled once (`govfleet migrate --demo`), and the server finds it filled.
// With GOVFLEET_URL set, uses that running server instead (nothing is started or stopped).
// args: more flags for serve (e.g. the ride-hailing provider a test runs).
import { spawn, spawnSync } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function supports(bin, flag) {
  const help = spawnSync(bin, ['serve', '-h'], { encoding: 'utf8', timeout: 20_000 })
  return `${help.stdout}${help.stderr}`.includes(`-${flag}`)
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

export async function startServer({ timeoutMs = 90_000, args: more = [] } = {}) {
  if (process.env.GOVFLEET_URL) {
    return { baseURL: process.env.GOVFLEET_URL.replace(/\/$/, ''), stop: async () => {}, logs: () => '' }
  }
  const bin = process.env.GOVFLEET_BIN || path.resolve(webDir, '../bin/govfleet')
  const port = await freePort()
  const gateway = `127.0.0.1:${await freePort()}` // the JT/T 808 gateway, for tests that drive a terminal
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'govfleet-webtest-'))
  if (process.env.GOVFLEET_TEST_DEMO_DIR) await cp(process.env.GOVFLEET_TEST_DEMO_DIR, dataDir, { recursive: true })
  const args = ['serve', '--demo', '--listen', `127.0.0.1:${port}`, '--gateway-listen', gateway, '--data-dir', dataDir, ...more]
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env })
  let out = ''
  const keep = (d) => {
    out += d.toString()
    if (out.length > 200_000) out = out.slice(-100_000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  let exited = null
  const exitPromise = new Promise((resolve) => child.on('exit', (code, sig) => resolve((exited = { code, sig }))))
  child.on('error', (e) => {
    exited = { error: e }
  })

  const baseURL = `http://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (exited) throw new Error(`govfleet exited early (${JSON.stringify(exited)}): ${bin} ${args.join(' ')}\n${out}`)
    try {
      const res = await fetch(`${baseURL}/healthz`)
      if (res.status === 200) break
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`govfleet did not answer /healthz within ${timeoutMs} ms\n${out}`)
    }
    await sleep(250)
  }

  async function stop() {
    if (!exited) {
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exitPromise
      clearTimeout(t)
    }
    await rm(dataDir, { recursive: true, force: true })
  }
  return { baseURL, gateway, stop, logs: () => out }
}
