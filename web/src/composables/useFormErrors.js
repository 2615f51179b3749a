// Server-side field errors ({"fields":{"name":"…"}}) shown under the matching el-form-item via :error.
import { reactive } from 'vue'

export function useFormErrors() {
  const errors = reactive({})

  function clear() {
    for (const k of Object.keys(errors)) errors[k] = ''
  }

  // Applies an ApiError; returns true when it carried field messages.
  function apply(err) {
    clear()
    if (!err || !['invalid', 'conflict'].includes(err.code)) return false
    const fields = err.fields || {}
    for (const [k, v] of Object.entries(fields)) errors[k] = v
    return Object.keys(fields).length > 0
  }

  return { errors, clear, apply }
}
