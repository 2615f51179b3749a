import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import * as Icons from '@element-plus/icons-vue'
import 'element-plus/dist/index.css'
import './styles.css'

import App from './App.vue'
import router from './router'
import { setSessionHooks } from './api'
import { useSession } from './stores/session'
import { useUnitTree } from './composables/useUnitTree'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(router)
app.use(ElementPlus, { locale: zhCn })
for (const [name, comp] of Object.entries(Icons)) app.component(name, comp)

const session = useSession()
setSessionHooks({
  // Session expired or logged out elsewhere: back to the login page.
  unauthenticated() {
    if (!session.user) return
    session.reset()
    useUnitTree().clear()
    const cur = router.currentRoute.value
    if (cur.name !== 'login') router.replace({ name: 'login', query: { redirect: cur.fullPath, expired: '1' } })
  },
  // The server insists on a new password first: the layout shows the forced dialog.
  passwordChangeRequired() {
    session.mustChangePassword = true
  },
  // The security policy asks this account for a second factor: the layout shows the forced binding.
  enrolRequired() {
    session.mustEnrol = true
  },
})

app.mount('#app')
