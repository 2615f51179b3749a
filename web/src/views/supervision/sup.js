// Shared labels of the supervision pages.
export const stateLabels = { open: '待单位说明', explained: '待核查', verified: '核实违规', dismissed: '已排除' }
export const stateTypes = { open: 'warning', explained: 'primary', verified: 'danger', dismissed: 'info' }
export const actionLabels = {
  opened: '系统立案', finding: '新增线索', explained: '单位说明', attached: '上传材料',
  verified: '核实违规', dismissed: '排除', escalated: '升级',
}
