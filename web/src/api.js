// The one wrapper around the backend's JSON API: CSRF header on writes, JSON bodies,
// errors turned into ApiError and shown (hooks.showError), session-level errors routed to hooks.

let csrfToken = ''
const hooks = { unauthenticated: () => {}, passwordChangeRequired: () => {}, enrolRequired: () => {}, showError: () => {} }

export function setCsrfToken(token) {
  csrfToken = token || ''
}

// main.js wires these to the router, the session store and the page's toolkit (avoids import cycles, and keeps
// Element Plus off the phone pages).
export function setSessionHooks({ unauthenticated, passwordChangeRequired, enrolRequired, showError }) {
  if (unauthenticated) hooks.unauthenticated = unauthenticated
  if (passwordChangeRequired) hooks.passwordChangeRequired = passwordChangeRequired
  if (enrolRequired) hooks.enrolRequired = enrolRequired
  if (showError) hooks.showError = showError
}

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {}
    super(e.message || `请求失败（HTTP ${status}）`)
    this.status = status
    this.code = e.code || (status >= 500 ? 'internal' : 'unknown')
    this.fields = e.fields || {}
  }
}

// Builds a query string, dropping empty values.
export function toQuery(params = {}) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue
    q.set(k, String(v))
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

/**
 * request(method, path, { query, body, silent })
 * silent: true → the caller shows the error itself (no message).
 */
export async function request(method, path, { query, body, silent = false } = {}) {
  const headers = { Accept: 'application/json' }
  const init = { method, headers, credentials: 'same-origin' }
  if (body instanceof FormData) {
    init.body = body // multipart upload: the browser sets the boundary
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken

  let res
  try {
    res = await fetch(`/api${path}${toQuery(query)}`, init)
  } catch {
    const err = new ApiError(0, { error: { code: 'network', message: '无法连接服务器，请检查网络' } })
    if (!silent) hooks.showError(err.message)
    throw err
  }
  if (res.status === 204) return null
  const text = await res.text()
  let data = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = null
    }
  }
  if (res.ok) return data

  const err = new ApiError(res.status, data)
  if (err.code === 'unauthenticated' && !path.startsWith('/auth/')) {
    hooks.unauthenticated()
    throw err
  }
  if (err.code === 'password_change_required') {
    hooks.passwordChangeRequired()
    throw err
  }
  if (err.code === 'totp_enrol_required') {
    hooks.enrolRequired()
    throw err
  }
  if (!silent) hooks.showError(err.message)
  throw err
}

// GET a file (xlsx export) with the session cookie and save it; JSON errors are shown. With a body, the file is
// POSTed for (data extraction sends its query as JSON), with the CSRF header.
export async function downloadFile(path, query = {}, fallbackName = 'download.xlsx', body = undefined) {
  let res
  const init = { credentials: 'same-origin' }
  if (body !== undefined) {
    init.method = 'POST'
    init.headers = { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken }
    init.body = JSON.stringify(body)
  }
  try {
    res = await fetch(`/api${path}${toQuery(query)}`, init)
  } catch {
    hooks.showError('无法连接服务器，请检查网络')
    return false
  }
  if (!res.ok) {
    let msg = `下载失败（HTTP ${res.status}）`
    try {
      msg = (await res.json())?.error?.message || msg
    } catch {
      /* not JSON */
    }
    hooks.showError(msg)
    return false
  }
  const blob = await res.blob()
  const cd = res.headers.get('Content-Disposition') || ''
  const m = cd.match(/filename\*=UTF-8''([^;]+)/i) || cd.match(/filename="?([^";]+)"?/i)
  const name = m ? decodeURIComponent(m[1]) : fallbackName
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
  return true
}

export const api = {
  get: (path, query, opts) => request('GET', path, { ...opts, query }),
  post: (path, body, opts) => request('POST', path, { ...opts, body }),
  put: (path, body, opts) => request('PUT', path, { ...opts, body }),
  patch: (path, body, opts) => request('PATCH', path, { ...opts, body }),
  del: (path, opts) => request('DELETE', path, opts),
}

export default api
