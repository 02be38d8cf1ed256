// Every string of the wall screen, in one table: zh-CN first, English
// beside it. t(key) answers in the current language; elements marked
// data-i18n="key" (text) or data-i18n-title / data-i18n-placeholder are
// filled by apply().
"use strict";

const STRINGS = {
  "app.title": ["gridwatch 监控室", "gridwatch security room"],
  "lang.toggle": ["English", "中文"],
  "conn.connecting": ["连接中", "connecting"],
  "conn.live": ["实时", "live"],
  "conn.reconnecting": ["重连中", "reconnecting"],
  "conn.need-login": ["请登录", "log in"],
  "login.user": ["用户", "User"],
  "login.password": ["密码", "Password"],
  "login.submit": ["登录", "Log in"],
  "login.failed": ["登录失败", "Login failed"],
  "logout": ["退出", "Log out"],
  "load.failed": ["加载失败", "Loading failed"],
  "whole_site": ["全辖区", "whole site"],

  "sound.ringing": ["报警音 · 点击静音", "Alarm sound · click to mute"],
  "sound.muted": ["已静音", "Muted"],
  "sound.quiet": ["声音待命", "Sound armed"],
  "sound.blocked": ["点击启用声音", "Click to enable sound"],

  "sev.red": ["红色", "Red"],
  "sev.orange": ["橙色", "Orange"],
  "sev.yellow": ["黄色", "Yellow"],
  "sev.blue": ["蓝色", "Blue"],
  "state.open": ["未确认", "Open"],
  "state.acknowledged": ["已确认", "Acknowledged"],
  "state.on_scene": ["已到场", "On scene"],
  "state.resolved": ["已处置", "Resolved"],
  "state.cleared": ["已恢复", "Cleared"],
  "tag.test": ["测试", "test"],
  "tag.muted": ["静默", "muted"],

  "focus.title": ["当前焦点", "Focus"],
  "focus.none": ["暂无未关闭报警", "No open alarms"],
  "focus.auto": ["最紧急", "most urgent"],
  "focus.pinned": ["已选定", "selected"],
  "focus.back": ["回到最紧急", "Back to most urgent"],
  "focus.device": ["设备", "Device"],
  "focus.address": ["地址", "Address"],
  "focus.grid": ["网格", "Grid"],
  "focus.raised": ["报警时间", "Raised"],
  "focus.count": ["触发次数", "Triggers"],
  "focus.next": ["下一级升级", "Next step in"],
  "focus.step_n": ["第%d级", "step %d"],
  "focus.step_sent": ["已发出第%d级", "step %d sent"],
  "focus.no_next": ["无后续升级", "No further step"],
  "focus.overdue": ["已超时", "overdue"],
  "focus.paged": ["已通知", "Paged"],
  "focus.nobody_paged": ["尚未通知任何人", "Nobody paged yet"],
  "focus.acked_by": ["确认人", "Acknowledged by"],
  "focus.arrived_by": ["到场人", "On scene"],
  "focus.not_acked": ["尚无人确认", "Not acknowledged yet"],
  "focus.cameras": ["联动摄像机", "Linked cameras"],
  "focus.no_cameras": ["无联动摄像机", "No linked cameras"],
  "focus.clip": ["录像片段", "Evidence clip"],
  "clip.recording": ["录像中", "recording"],
  "clip.ready": ["证据录像", "evidence clip"],
  "clip.failed": ["录像失败", "clip failed"],
  "clip.no_video": ["无视频", "no video"],
  "clip.still": ["报警瞬间截图", "still at the press"],
  "clip.press_at": ["报警时刻 %s 秒", "press at %ss"],
  "clip.download": ["下载", "download"],
  "focus.timeline": ["处置时间线", "Timeline"],
  "focus.note": ["备注", "Note"],
  "focus.note_placeholder": ["处置说明（可选）", "What was done (optional)"],
  "act.ack": ["确认", "Ack"],
  "act.arrive": ["到场", "Arrive"],
  "act.resolve": ["处置完毕", "Resolve"],
  "act.failed": ["操作失败", "Action failed"],
  "act.prompt": ["备注", "Note"],

  "page.queued": ["待送达", "queued"],
  "page.delivered": ["已送达", "delivered"],
  "page.fallen_back": ["转短信", "fell back"],
  "page.failed": ["送达失败", "failed"],
  "channel.app": ["App", "app"],
  "channel.sms": ["短信", "SMS"],
  "channel.http": ["网页", "web"],
  "channel.mqtt": ["App", "app"],

  "entry.raised": ["报警", "raised"],
  "entry.joined": ["再次触发", "triggered again"],
  "entry.notified": ["升级通知", "step sent"],
  "entry.repaged": ["再次通知", "paged again"],
  "entry.fallback": ["转短信通知", "fell back"],
  "entry.delivered": ["已送达", "delivered"],
  "entry.page_failed": ["通知失败", "page failed"],
  "entry.ack": ["确认", "acknowledged"],
  "entry.arrive": ["到场", "on scene"],
  "entry.resolve": ["处置完毕", "resolved"],
  "entry.cleared": ["自动恢复", "cleared"],
  "entry.clip": ["录像", "clip"],
  "entry.late": ["延迟", "late"],

  "queue.title": ["报警队列", "Alarm queue"],
  "queue.empty": ["暂无未关闭报警", "No open alarms"],
  "queue.recent": ["最近关闭", "Recently closed"],
  "col.colour": ["级别", "Colour"],
  "col.alarm": ["报警", "Alarm"],
  "col.place": ["位置", "Place"],
  "col.state": ["状态", "State"],
  "col.age": ["时长", "Age"],
  "col.next": ["升级", "Next"],
  "col.actions": ["处置", "Actions"],

  "plan.title": ["平面图", "Site plan"],
  "plan.unplaced": ["未标位置", "No position"],
  "plan.empty": ["登记表中没有设备坐标", "No device coordinates in the registry"],

  "health.title": ["设备状态", "Device health"],
  "health.cell": ["网格", "Cell"],
  "health.online": ["在线", "online"],
  "health.offline": ["离线", "offline"],
  "health.unknown": ["未知", "unknown"],
  "health.unregistered": ["未登记", "unregistered"],
  "health.low_battery": ["电量低", "low battery"],
  "health.on_battery": ["停电", "on battery"],
  "health.stream_bad": ["视频异常", "video degraded"],
  "health.back": ["返回", "Back"],
  "health.device": ["设备", "Device"],
  "health.seen": ["最后在线", "Last seen"],
  "health.battery": ["电池", "Battery"],
  "health.mains": ["市电", "Mains"],
  "health.signal": ["信号", "Signal"],
  "health.stream": ["视频", "Video"],
  "health.other": ["其他", "Other"],
  "health.rejected": ["拒收", "Rejected"],
  "health.adopt": ["待登记设备（加入登记表以启用）", "Unregistered devices (add to the registry to adopt)"],
  "health.none_unregistered": ["无未登记设备", "No unregistered devices"],
  "health.ago": ["前", "ago"],
  "health.never": ["从未", "never"],
  "health.no_cell": ["无网格", "no cell"],

  "kind.lightbox": ["报警灯箱", "light box"],
  "kind.camera": ["摄像机", "camera"],
  "kind.reader": ["门禁", "door reader"],
  "kind.io": ["I/O模块", "I/O module"],

  "role.grid_member": ["网格员", "grid member"],
  "role.grid_leader": ["网格长", "grid leader"],
  "role.police": ["网格民警", "police"],
  "role.security_room": ["监控室", "security room"],
  "role.command_center": ["指挥中心", "command centre"],
  "role.admin": ["管理员", "admin"],
  "role.installer": ["安装调试", "installer"],

  "tools.broadcast": ["广播", "Broadcast"],
  "tools.silence": ["静默 / 测试", "Silence / test"],
  "tools.emergency": ["紧急模式", "Emergency"],
  "tools.close": ["关闭", "Close"],
  "tools.send": ["发送", "Send"],
  "tools.sent": ["已发送", "Sent"],
  "tools.scope": ["范围", "Scope"],
  "tools.text": ["内容", "Text"],
  "tools.silence_id": ["编号", "Id"],
  "tools.reason": ["原因", "Reason"],
  "tools.devices": ["设备（逗号分隔）", "Devices (comma separated)"],
  "tools.grids": ["网格", "Grids"],
  "tools.test_mode": ["安装测试模式（报警照常记录，标为测试，不通知）", "Installer test mode (alarms recorded as tests, nobody paged)"],
  "tools.until": ["截止", "Until"],
  "tools.set": ["设置", "Set"],
  "tools.remove": ["解除", "Remove"],
  "tools.current": ["当前生效", "In force"],
  "tools.none": ["无", "None"],
  "tools.on": ["开启", "Switch on"],
  "tools.off": ["关闭", "Switch off"],
  "tools.emergency_on": ["紧急模式（扁平化）已开启", "Emergency mode (flat escalation) on"],
  "tools.emergency_since": ["开启于", "since"],
  "tools.emergency_by": ["开启人", "by"],
  "cmd.title": ["设备指令", "Device command"],
  "cmd.strobe": ["闪灯 5 秒", "Strobe 5 s"],
  "cmd.silence": ["停止闪灯和警笛", "Strobe and siren off"],
  "cmd.speak": ["喊话", "Speak"],
  "cmd.siren": ["警笛 3 秒", "Siren 3 s"],
  "cmd.unlock": ["开门 5 秒", "Unlock 5 s"],
  "cmd.send": ["发送指令", "Send"],
  "cmd.text_placeholder": ["喊话内容", "Text to speak"],
  "cmd.need_text": ["请输入喊话内容", "Type the text to speak"],
  "cmd.sending": ["等待设备应答…", "waiting for the device…"],
  "cmd.ok": ["设备已执行", "done by the device"],
  "cmd.failed": ["设备拒绝", "refused by the device"],
  "cmd.timeout": ["设备无应答（超时）", "no answer from the device (timed out)"],
  "cmd.error": ["未能发送", "not sent"],

  "com.title": ["调试会话（巡检）", "Commissioning (walk test)"],
  "com.started": ["开始", "started"],
  "com.ends_in": ["剩余", "ends in"],
  "com.passed": ["通过", "passed"],
  "com.failed": ["未通过", "failed"],
  "com.pending": ["进行中", "pending"],
  "com.not_seen": ["未见", "not seen"],
  "check.heartbeat": ["心跳", "heartbeat"],
  "check.press": ["按键", "press"],
  "check.tamper": ["防拆", "tamper"],
  "check.mains": ["市电", "mains"],
  "check.card": ["刷卡", "card"],
  "check.door": ["门磁", "door"],
  "check.command": ["指令", "command"],
  "check.battery": ["电池", "battery"],
  "check.signal": ["信号", "signal"],
  "check.stream": ["视频流", "stream"],
  "check.cover": ["遮挡", "cover"],
  "check.grid": ["网格", "grid"],
  "tools.emergency_help": ["开启后所有报警直接通知到全部层级（扁平化）", "While on, every alarm pages every level at once"],
};

let lang = "zh";

// addStrings adds a part's own strings (key → [zh-CN, English]) to the
// table; a key the table has keeps its string.
export function addStrings(more) {
  for (const [k, v] of Object.entries(more)) if (!has(k)) STRINGS[k] = v;
}

// setLang switches the language ("zh" or "en") and refills the page.
export function setLang(l) {
  lang = l === "en" ? "en" : "zh";
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  try { localStorage.setItem("gridwatch.lang", lang); } catch (e) { /* private mode */ }
  apply(document);
}

export function getLang() { return lang; }

// initLang takes the language last chosen on this screen (zh-CN first).
export function initLang() {
  let l = "zh";
  try { l = localStorage.getItem("gridwatch.lang") || "zh"; } catch (e) { /* private mode */ }
  setLang(l);
}

// t is the string of key in the current language; an unknown key is
// shown as itself (a value from the server the table does not know).
export function t(key) {
  const s = STRINGS[key];
  if (!s) return key.includes(".") ? key.slice(key.indexOf(".") + 1) : key;
  return lang === "en" ? s[1] : s[0];
}

// has reports whether the table knows key.
export function has(key) { return Object.prototype.hasOwnProperty.call(STRINGS, key); }

// apply fills every marked element under root.
export function apply(root) {
  for (const e of root.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll("[data-i18n-title]")) e.title = t(e.dataset.i18nTitle);
  for (const e of root.querySelectorAll("[data-i18n-placeholder]")) e.placeholder = t(e.dataset.i18nPlaceholder);
}
