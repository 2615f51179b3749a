// The vehicles of the caller's scope as options of a vehicle picker (track playback, trips and mileage):
// a city's 19,000 go into el-select-v2, which renders only the options in view.
import api from '../../api'

export async function vehicleOptions() {
  const out = await api.get('/live/vehicles')
  return out.items.map((v) => ({ value: v.id, label: `${v.plate}（${v.unit_name}）` }))
}
