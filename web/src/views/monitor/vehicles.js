// The vehicles of the caller's scope as options of a vehicle picker (track playback, trips and mileage):
// a city's 19,000 go into el-select-v2, which renders only the options in view. The list is read once
// and kept for five minutes per account, so going back and forth between the pages does not read it again.
import api from '../../api'
import { useSession } from '../../stores/session'

let cached = null // { user, at, promise }: another account's list is never reused

export function vehicleOptions() {
  const user = useSession().user?.id
  if (!cached || cached.user !== user || Date.now() - cached.at > 5 * 60_000) {
    const promise = api.get('/live/vehicles').then((out) => out.items.map((v) => ({ value: v.id, label: `${v.plate}（${v.unit_name}）` })))
    cached = { user, at: Date.now(), promise }
    promise.catch(() => (cached = null))
  }
  return cached.promise
}
