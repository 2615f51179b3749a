// Shared words of the annual report pages.
export const STATE_TYPES = { draft: 'info', submitted: 'primary', returned: 'danger', accepted: 'success' }
export const STATES = [
  { value: 'draft', label: '待填报' }, { value: 'submitted', label: '已上报' }, { value: 'returned', label: '已退回' },
  { value: 'accepted', label: '已接收' }, { value: 'overdue', label: '已逾期' },
]
export const LEVELS = [{ value: 'unit', label: '单位' }, { value: 'district', label: '辖市(区)' }, { value: 'city', label: '市级' }]
export const ACTION_NAMES = { correct: '更正车辆信息', submit: '签署上报', return: '退回', accept: '接收', work_report: '修改工作报告', remind: '提醒', finalise: '定稿' }
export const COST_KINDS = [
  { code: 'fuel', name: '燃油费' }, { code: 'maintenance', name: '维修保养费' }, { code: 'insurance', name: '保险费' },
  { code: 'inspection', name: '年检费' }, { code: 'rental', name: '租赁费' }, { code: 'other', name: '其他' },
]
