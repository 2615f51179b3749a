// Chinese names of the alarm bits of a JT/T 808-2013 location report (table 24), as internal/jt808 defines them:
// a terminal event's evidence and a position carry bit numbers or the alarm word, a user reads the names.
export const ALARM_BITS = {
  0: '紧急报警',
  1: '超速报警',
  2: '疲劳驾驶',
  3: '危险预警',
  4: 'GNSS模块故障',
  5: 'GNSS天线未接或被剪断',
  6: 'GNSS天线短路',
  7: '终端主电源欠压',
  8: '终端主电源掉电',
  9: '终端显示器故障',
  10: 'TTS模块故障',
  11: '摄像头故障',
  12: 'IC卡模块故障',
  13: '超速预警',
  14: '疲劳驾驶预警',
  18: '当天累计驾驶超时',
  19: '超时停车',
  20: '进出区域',
  21: '进出路线',
  22: '路段行驶时间不足或过长',
  23: '路线偏离',
  24: '车辆VSS故障',
  25: '车辆油量异常',
  26: '车辆被盗',
  27: '车辆非法点火',
  28: '车辆非法位移',
  29: '碰撞预警',
  30: '侧翻预警',
  31: '非法开门',
}

// Names of the given bit numbers ([8] → ['终端主电源掉电']); an unknown bit keeps its number.
export function alarmBitNames(bits = []) {
  return bits.map((b) => ALARM_BITS[b] || `报警位${b}`)
}

// Names of the bits set in an alarm word (256 → ['终端主电源掉电']).
export function alarmNames(word = 0) {
  const bits = []
  for (let i = 0; i < 32; i++) if ((word >>> i) & 1) bits.push(i)
  return alarmBitNames(bits)
}
