// Who is logged in, what they may do, and the code → name tables from /api/meta.
import { defineStore } from 'pinia'
import { api, setCsrfToken } from '../api'

const FALLBACK_META = { roles: [], unit_types: [], marking_statuses: [], kinds: [], audit_actions: [] }

export const useSession = defineStore('session', {
  state: () => ({
    user: null,
    permissions: [],
    loaded: false,
    mustChangePassword: false,
    mustEnrol: false, // the policy asks a second factor this account has not bound yet
    meta: FALLBACK_META,
    metaLoaded: false,
  }),
  getters: {
    loggedIn: (s) => !!s.user,
    // Only the forced password change or second-factor binding is open.
    restricted: (s) => s.mustChangePassword || s.mustEnrol,
    roleNames: (s) => (s.user?.roles || []).map((c) => nameOf(s.meta.roles, c)),
  },
  actions: {
    can(perm) {
      return this.permissions.includes(perm)
    },
    // Loads /api/me; returns false when not logged in.
    async loadMe() {
      try {
        const me = await api.get('/me', undefined, { silent: true })
        this.applyMe(me)
        await this.loadMeta()
        return true
      } catch (err) {
        if (err.code === 'password_change_required') {
          this.loaded = true
          return !!this.user
        }
        this.reset()
        return false
      } finally {
        this.loaded = true
      }
    },
    applyMe(me) {
      this.user = normalizeUser(me.user)
      this.permissions = me.permissions || []
      this.mustChangePassword = !!me.user?.must_change_password
      this.mustEnrol = !!me.must_enrol
      if (me.csrf_token) setCsrfToken(me.csrf_token)
    },
    async loadMeta() {
      if (this.metaLoaded) return
      try {
        this.meta = { ...FALLBACK_META, ...(await api.get('/meta', undefined, { silent: true })) }
        this.metaLoaded = true
      } catch {
        /* names fall back to codes */
      }
    },
    // The password step. An account with a second factor gets no session yet: returns { ticket } for loginCode.
    async login(username, password) {
      const res = await api.post('/auth/login', { username, password }, { silent: true })
      if (res.totp_ticket) return { ticket: res.totp_ticket }
      await this.openSession(res)
      return null
    },
    // A visiting official logs in with the mobile and the password chosen at registration.
    async visitorLogin(mobile, password) {
      await this.openSession(await api.post('/visitor/login', { mobile, password }, { silent: true }))
    },
    // The second step: the ticket and a 6-digit code or a recovery code.
    async loginCode(ticket, code) {
      await this.openSession(await api.post('/auth/login/code', { ticket, code }, { silent: true }))
    },
    async openSession(res) {
      setCsrfToken(res.csrf_token)
      this.user = normalizeUser(res.user)
      this.mustChangePassword = !!res.user?.must_change_password
      this.mustEnrol = !!res.must_enrol
      if (!this.mustChangePassword) await this.loadMe()
      else await this.loadMeta()
      this.loaded = true
    },
    async logout() {
      try {
        await api.post('/auth/logout', undefined, { silent: true })
      } catch {
        /* already gone */
      }
      this.reset()
    },
    reset() {
      this.user = null
      this.permissions = []
      this.mustChangePassword = false
      this.mustEnrol = false
      setCsrfToken('')
    },
    roleName(code) {
      return nameOf(this.meta.roles, code)
    },
    unitTypeName(code) {
      return nameOf(this.meta.unit_types, code)
    },
    markingName(code) {
      return nameOf(this.meta.marking_statuses, code)
    },
    kindName(code) {
      return nameOf(this.meta.kinds, code)
    },
  },
})

// The contract's Me carries scope:{id,name,kind,path_names}; a user record carries the same
// as scope_id/scope_name/scope_kind/scope_path_names. Accept both, expose `scope`.
function normalizeUser(u) {
  if (!u) return null
  if (u.scope) return u
  return {
    ...u,
    scope: { id: u.scope_id, name: u.scope_name, kind: u.scope_kind, path_names: u.scope_path_names || [u.scope_name] },
  }
}

function nameOf(list, code) {
  if (!code) return '—'
  return (list || []).find((x) => x.code === code)?.name || code
}
