// The one pagination pattern: reactive filters + page/page_size, load() fetches
// {items,total,page,page_size}; search() restarts at page 1. Pair with <PagedTable>'s el-pagination.
// query() is the filters as sent (without the page): what <ExportButton> exports. response is the last answer whole
// (a list may carry more than its page, e.g. a statement's lines their totals).
import { reactive, ref } from 'vue'
import { api } from '../api'

export function usePagedList(path, initialFilters = {}, { pageSize = 20, transform } = {}) {
  const filters = reactive({ ...initialFilters })
  const items = ref([])
  const total = ref(0)
  const page = ref(1)
  const size = ref(pageSize)
  const loading = ref(false)
  const response = ref(null)
  let seq = 0

  function query() {
    return transform ? transform({ ...filters }) : { ...filters }
  }

  async function load() {
    const mine = ++seq
    loading.value = true
    try {
      const p = typeof path === 'function' ? path() : path
      const res = await api.get(p, { ...query(), page: page.value, page_size: size.value })
      if (mine !== seq) return
      items.value = res?.items || []
      total.value = res?.total || 0
      response.value = res
    } catch {
      if (mine === seq) {
        items.value = []
        total.value = 0
        response.value = null
      }
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  function search() {
    page.value = 1
    return load()
  }

  function reset() {
    Object.assign(filters, initialFilters)
    return search()
  }

  function onPage(p) {
    page.value = p
    load()
  }

  function onSize(s) {
    size.value = s
    page.value = 1
    load()
  }

  return { filters, items, total, page, size, loading, response, query, load, search, reset, onPage, onSize }
}
