// The caller's slice of the unit hierarchy (GET /api/units/tree), shared by every page and
// the UnitPicker; reload() after writes that change the tree.
import { computed, ref } from 'vue'
import { api } from '../api'

const roots = ref([])
const loaded = ref(false)
const loading = ref(false)
let pending = null

export function useUnitTree() {
  function reload() {
    loading.value = true
    pending = api
      .get('/units/tree')
      .then((data) => {
        roots.value = Array.isArray(data) ? data : data ? [data] : []
        loaded.value = true
      })
      .catch(() => {})
      .finally(() => {
        loading.value = false
        pending = null
      })
    return pending
  }

  function ensure() {
    if (loaded.value) return Promise.resolve()
    return pending || reload()
  }

  const byId = computed(() => {
    const m = new Map()
    const walk = (nodes, parent) => {
      for (const n of nodes || []) {
        m.set(n.id, { node: n, parent })
        walk(n.children, n)
      }
    }
    walk(roots.value, null)
    return m
  })

  function find(id) {
    return byId.value.get(id)?.node || null
  }

  // Names from the root down to the node, e.g. ["常州市","天宁区","天宁区城市管理局"].
  function pathNames(id) {
    const out = []
    let e = byId.value.get(id)
    while (e) {
      out.unshift(e.node.name)
      e = e.parent ? byId.value.get(e.parent.id) : null
    }
    return out
  }

  // The node and all its descendants' ids.
  function subtreeIds(id) {
    const ids = new Set()
    const walk = (n) => {
      ids.add(n.id)
      for (const c of n.children || []) walk(c)
    }
    const n = find(id)
    if (n) walk(n)
    return ids
  }

  function clear() {
    roots.value = []
    loaded.value = false
  }

  return { roots, loaded, loading, reload, ensure, find, pathNames, subtreeIds, clear }
}
