// Element Plus for the console: its components in Chinese and its icons, registered on the app once, with the first
// console page (main.js). The phone pages use Vant and never load it. Its stylesheet stays in main.js, before
// styles.css, whose rules for Element Plus's classes come after it.
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import * as Icons from '@element-plus/icons-vue'

export function install(app) {
  app.use(ElementPlus, { locale: zhCn })
  for (const [name, comp] of Object.entries(Icons)) app.component(name, comp)
}
