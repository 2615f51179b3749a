// Browser test of the lists' one export button (issue 24): on a few lists, with and without a filter, the
// downloaded Excel file holds exactly the rows the list counts (not the page shown: 加油记录 has thousands),
// under Chinese headings.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { downloaded, login, logout, serverAndBrowser, settled } from './browser.mjs'
import { dataRows, headers, unzip } from './xlsx.mjs'

let server, b, page

serverAndBrowser((s) => ({ server, b, page } = s))

// The list's count ("共 N 条" under the table) once it has settled after loading.
async function listTotal() {
  const pager = page.locator('.el-pagination__total').first()
  await pager.waitFor()
  await settled(page)
  return Number((await pager.innerText()).replace(/\D/g, ''))
}

// Clicks the page's export button and reads the file.
async function exported(name) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=export]').click()])
  assert.match(download.suggestedFilename(), new RegExp(`^${name}-\\d{8}-\\d{4}\\.xlsx$`))
  return unzip(await downloaded(download))
}

for (const [user, path, name, filtered] of [
  ['city_admin', '/fuel/records', '加油记录', '/fuel/records?flag=any'],
  ['city_admin', '/terminals', '北斗终端', null],
  ['city_admin', '/supervision/cases', '问题线索', null],
  ['jgj_vm', '/emergency', '紧急用车补报', null],
]) {
  test(`${name}: the export holds the list's rows`, async () => {
    await login(page, user)
    try {
      for (const p of [path, filtered].filter(Boolean)) {
        await page.goto(p)
        const total = await listTotal()
        assert.ok(total > 0, `${p}: the list has rows`)
        const files = await exported(name)
        assert.equal(dataRows(files), total, `${p}: the file has the list's ${total} rows`)
        for (const h of headers(files)) assert.match(h, /\p{Script=Han}/u, `heading ${h}`)
      }
    } finally {
      await logout(page)
    }
  })
}
