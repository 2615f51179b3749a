// Shared helpers of the maintenance pages.
export const stateTag = {
  requested: 'info', estimated: 'warning', approved: 'primary', rejected: 'danger',
  assigned: 'primary', quoted: 'warning', reviewed: 'success', closed: 'success',
}
export const stateOptions = [
  ['requested', '待估价'], ['estimated', '待审批'], ['approved', '待指派维修厂'], ['rejected', '未批准'],
  ['assigned', '待维修厂报价'], ['quoted', '维修中·待审核'], ['reviewed', '已审核·待结案'], ['closed', '已结案'],
]
export const reviewNames = { pending: '待审核', confirmed: '已确认', disputed: '有异议' }
export const reviewTag = { pending: 'info', confirmed: 'success', disputed: 'danger' }
export const itemKinds = [['part', '配件'], ['labour', '工时']]
