import { createApp } from 'vue'
import { createPinia } from 'pinia'
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
// Element Plus comes with the first console page: a phone's first visit sends 113 kB of script instead of 560.
let consoleKit
const loadConsoleKit = () => (consoleKit ??= import('./consoleKit').then((m) => m.install(app)))
router.beforeResolve((to) => (to.meta.mobile ? undefined : loadConsoleKit()))
// The page in the address bar is a phone page: its route says so (also while the first navigation is under way).
const onPhone = () => !!router.resolve(window.location.pathname).meta.mobile

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
  // An error the caller does not show itself: Vant's toast on the phone pages, Element Plus's message in the console.
  showError(message) {
    if (onPhone()) import('vant').then(({ showFailToast }) => showFailToast(message))
    else loadConsoleKit().then(() => import('element-plus')).then(({ ElMessage }) => ElMessage.error(message))
  },
})

app.mount('#app')
