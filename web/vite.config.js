import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Vant's stylesheet declares its icon font as an inline woff2 with a woff
// fallback on an outside CDN (at.alicdn.com), which the CSP blocks and a
// government network cannot reach (issue 19). The build keeps the inline
// font, bundled with the phone pages, and drops every outside font URL;
// the build fails if Vant's CSS stops carrying the font inline.
function localFonts() {
  return {
    name: 'govfleet-local-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!/\/vant\/.*\.css$/.test(id) || !code.includes('@font-face')) return null
      if (!code.includes('url(data:font/woff2')) this.error('vant: the icon font is no longer inline; bundle it from the vant package')
      return { code: code.replace(/,\s*url\((?:https?:)?\/\/[^)]*\)\s*format\([^)]*\)/g, ''), map: null }
    },
  }
}

export default defineConfig({
  base: '/',
  plugins: [vue(), localFonts()],
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined
          // Element Plus's script comes with the console's pages (consoleKit.js); its stylesheet stays in the entry,
          // before styles.css.
          if (id.includes('element-plus') && !id.endsWith('.css')) return 'element-plus'
          if (id.includes('/echarts/') || id.includes('/zrender/')) return 'echarts' // the statistics' charts only (tree-shaken: echarts/core)
          if (id.includes('/vant/') || id.includes('@vant')) return 'vant' // phone pages only: keeps Vant's global CSS off the console
          // Vue itself, loaded by every page; any other package goes with the pages that use it (Element Plus's
          // helpers with Element Plus, Leaflet with the maps).
          if (/\/node_modules\/(vue|@vue|vue-router|pinia)\//.test(id)) return 'vendor'
          return undefined
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
    },
  },
})
