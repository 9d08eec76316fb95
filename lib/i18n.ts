/**
 * Every string of the web pages, in English and Chinese, from one dictionary, and the rule that
 * picks the language of a request: `?lang` > cookie > `Accept-Language` > English.
 * Unknown values are ignored (never echoed). Placeholders are `{name}`, filled by {@link format}.
 * @module
 */

/** The languages the pages speak. */
export type Lang = "en" | "zh";

/** Every supported language, the default first. */
export const LANGS: readonly Lang[] = ["en", "zh"];

/** The value of `<html lang>` for each language. */
export const HTML_LANG: Record<Lang, string> = { en: "en", zh: "zh-CN" };

/** Each language's name, written in that language (for the switcher). */
export const LANG_NAMES: Record<Lang, string> = { en: "English", zh: "中文" };

const en = {
  siteName: "Interactive Feedback",
  skipToContent: "Skip to content",
  themeToDark: "Switch to dark theme",
  themeToLight: "Switch to light theme",
  languageLabel: "Language",
  footer: "Answers go only to the AI agent that asked the question.",

  defaultTitle: "An AI agent is asking for your feedback",
  questionHeading: "Question",
  optionsLegendMulti: "Choose any that apply",
  optionsLegendSingle: "Choose one",
  freeTextLabel: "Your answer",
  freeTextLabelWithOptions: "Anything to add? (optional)",
  counter: "{count} / {max} characters",
  counterOver: "{over} characters over the limit",
  submit: "Send answer",
  sending: "Sending…",
  shortcutHint: "Ctrl+Enter sends · keys 1–9 pick options",
  timeLeft: "Closes in {time}",
  closingNow: "Closing now…",

  thankYouTitle: "Thank you!",
  thankYouBody: "Your answer was sent to the agent. You can close this page.",
  answeredTitle: "Already answered",
  answeredBody: "This question has already been answered. This is what was sent:",
  answeredLive: "This question was just answered somewhere else.",
  sentOptions: "Selected",
  sentText: "Written answer",
  nothingToShow: "The answer is no longer shown here.",
  expiredTitle: "This question has expired",
  expiredBody: "The time to answer ran out, so the agent is continuing without an answer.",
  cancelledTitle: "Question withdrawn",
  cancelledBody: "The agent withdrew this question. No answer is needed.",

  connectionLive: "Live",
  connectionConnecting: "Connecting…",
  connectionOffline: "Offline, retrying",
  connectionLabel: "Live updates",

  errorEmpty: "Choose an option or write an answer.",
  errorTooLong: "Your answer is too long: at most {max} characters.",
  errorInvalid: "This answer was not accepted. Check it and try again.",
  errorRateLimited: "Too many attempts. Wait a minute, then try again.",
  errorNetwork: "Could not reach the server. Check your connection and try again.",
  errorServer: "Something went wrong on our side. Please try again.",
  errorUnsupported: "The form could not be read. Please use the page's form.",

  questionImages: "Images from the agent",
  answerImages: "Your images",
  imageAlt: "Image {n} of {count}",
  imageClose: "Close",
  imageAdd: "Add images",
  imageHint: "Paste, drop or choose up to {images} images. They are scaled down before sending.",
  imageHintNoJs: "You can add up to {images} images of at most {size} each.",
  imageCount: "{count} / {images} images",
  imageRemove: "Remove image {n}",
  imageAttached: "Image {n} to send",
  imagePreparing: "Preparing images…",
  uploading: "Uploading images…",
  sentImages: "Images",
  errorImageType: "“{name}” could not be read as an image.",
  errorImageTooBig: "“{name}” is too large, even scaled down: at most {size} per image.",
  errorImageCount: "At most {images} images per answer: “{name}” was not added.",
  errorImagesRefused: "An image was refused: only PNG, JPEG, WebP and GIF images are accepted.",
  errorImagesTooLarge: "The images are too large: at most {size} per image.",
  errorImagesTotalTooLarge:
    "The images together are too large to send: at most {images} images of {size} each.",
  errorImagePixels:
    "“{name}” is too large to open: at most 16384 pixels on a side and 50 megapixels.",
  errorImagesTooMany: "Too many images: at most {images} per answer.",
  errorImageBroken: "An image could not be read: it may be damaged or incomplete.",
  errorImageQuota: "There is no room left for more images. Send your answer without them.",
  imagesChooseAgain: "Choose your images again.",

  notFoundTitle: "Nothing here",
  notFoundBody:
    "There is no feedback question at this address. The link may be incomplete, or the question was removed some time after it closed.",
  aboutLink: "About this service",
  rateLimitedTitle: "Too many requests",
  errorPageTitle: "Something went wrong",
  errorPageBody: "The page could not be shown. Please try again in a moment.",
  unavailableTitle: "Briefly unavailable",
  unavailableBody:
    "The service cannot reach its storage right now. This usually passes within seconds: please try again in a moment.",
  unavailableNotSaved: "Your answer was not saved.",
  unavailableResend: "Send my answer again",
  unavailableRetry: "Try again",
  errorUnavailable:
    "The service is briefly unavailable and your answer was not saved. Try again in a moment.",

  homeTitle: "Interactive feedback for AI agents",
  homeIntro:
    "This service lets an AI agent ask a person a question and wait for the answer. The agent shows you a link; you open it on any device, pick an option or write a reply, and the agent receives it at once.",
  homeStepsTitle: "How it works",
  homeStep1: "The agent calls the interactive_feedback tool (MCP) or POST /api/feedback/create.",
  homeStep2: "It shows you the link to a page like this one, in your language and theme.",
  homeStep3: "You answer; the agent gets the answer from get_feedback_result or the result API.",
  homeConnectTitle: "Connect a client",
  homeConnectIntro:
    "The MCP endpoint speaks Streamable HTTP and needs a bearer token (JWT) from whoever runs this service (deno task token --sub NAME). Replace YOUR_TOKEN below.",
  homeEndpoint: "MCP endpoint",
  homeClaudeCode: "Claude Code",
  homeClaudeDesktop: "Claude Desktop (claude_desktop_config.json, through mcp-remote)",
  homeCursor: "Cursor (.cursor/mcp.json)",
  homeRest: "REST API",
  homeRestBody: "Every route is described in the OpenAPI document:",
  homeHealth: "Health check",

  inboxTitle: "Inbox",
  inboxPendingTab: "Waiting",
  inboxHistoryTab: "History",
  inboxTabsLabel: "Questions",
  inboxSettingsLink: "Settings",
  inboxSignedInAs: "Signed in as {owner}",
  inboxEmptyPending: "No questions are waiting for you.",
  inboxEmptyHistory: "Nothing here yet: answered, expired and withdrawn questions appear here.",
  inboxAnswer: "Answer",
  inboxHide: "Hide",
  inboxOpenPage: "Open on its own page",
  inboxAsked: "asked {time}",
  inboxAgoNow: "just now",
  inboxAgoMinutes: "{n} min ago",
  inboxAgoHours: "{n} h ago",
  inboxAgoDays: "{n} d ago",
  inboxUnread: "new",
  inboxStatusCompleted: "Answered",
  inboxStatusExpired: "Expired",
  inboxStatusCancelled: "Withdrawn",
  inboxNoAnswer: "No answer was given.",
  inboxOffline: "You are offline. The inbox updates again when the connection returns.",
  inboxAnnounceNew: "New question: {title}",
  inboxAnnounceMoved: "{title}: {status}",
  inboxSignInTitle: "Sign in to your inbox",
  inboxSignInIntro:
    "Open the sign-in link you were given, or paste its token here once. It is exchanged for a sign-in on this device and never kept in the browser.",
  inboxTokenLabel: "Token",
  inboxSignIn: "Sign in",
  inboxSignInInvalid: "This sign-in link or token is not valid. Ask for a new one.",
  inboxSignInExpired: "This sign-in link has expired. Ask for a new one.",
  inboxSignInRateLimited:
    "Too many sign-in attempts from this network. Wait a minute, then try again.",
  inboxSignInRefused: "The sign-in did not come from this site, so it was refused. Try again here.",
  inboxSignedOut: "You are signed out.",
  inboxSignOut: "Sign out",
  inboxSettingsTitle: "Inbox settings",
  inboxSessionsTitle: "Signed-in devices",
  inboxSessionsIntro:
    "Each device stays signed in for 30 days after it was last used. Revoke one and it is signed out at once.",
  inboxThisDevice: "this device",
  inboxSessionTimes: "signed in {created} · last used {seen}",
  inboxRevoke: "Revoke",
  inboxBack: "Back to the inbox",
  inboxRefusedTitle: "Action refused",
  inboxRefusedBody:
    "This request did not come from the inbox page, or its security token was missing. Go back to the inbox and try again.",
  pushEnable: "Notify me on this device",
  pushDisable: "Turn off on this device",
  pushWorking: "One moment…",
  pushOn: "Notifications are on for this device.",
  pushOff: "Get a notification on this device when an agent asks you something.",
  pushUnavailable:
    "Push notifications are off on this server: its operator has not set VAPID keys (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY).",
  pushUnsupported:
    "This browser cannot receive push notifications here. On iPhone and iPad, add the inbox to the home screen first.",
  pushDenied:
    "Notifications are blocked for this site. Allow them in the browser's site settings, then try again.",
  pushFailed: "Could not turn on notifications: {error}",
  pushDevicesTitle: "Push notifications",
  pushDevicesEmpty: "No device gets push notifications yet.",
  pushDeviceTimes: "on since {created}",
  pushDeviceDelivered: "last delivered {time}",
  pushDeviceFailed: "last failure {time}: {error}",
  pushRemove: "Remove",
  pushNewQuestion: "New question",
  pushNewQuestionFrom: "New question from {agent}",
  pushNewQuestions: "{n} new questions",
} as const;

/** The keys of the dictionary. */
export type MessageKey = keyof typeof en;

/** One language's strings. */
export type Messages = Record<MessageKey, string>;

const zh: Messages = {
  siteName: "交互式反馈",
  skipToContent: "跳到正文",
  themeToDark: "切换到深色主题",
  themeToLight: "切换到浅色主题",
  languageLabel: "语言",
  footer: "回答只会发送给提出问题的 AI 助手。",

  defaultTitle: "AI 助手在征求你的意见",
  questionHeading: "问题",
  optionsLegendMulti: "可多选",
  optionsLegendSingle: "请选择一项",
  freeTextLabel: "你的回答",
  freeTextLabelWithOptions: "还有补充吗？（可选）",
  counter: "{count} / {max} 字",
  counterOver: "超出上限 {over} 字",
  submit: "提交回答",
  sending: "正在提交…",
  shortcutHint: "Ctrl+Enter 提交 · 数字键 1–9 选择选项",
  timeLeft: "{time} 后关闭",
  closingNow: "即将关闭…",

  thankYouTitle: "谢谢！",
  thankYouBody: "你的回答已发送给 AI 助手，现在可以关闭此页面。",
  answeredTitle: "已经回答过了",
  answeredBody: "这个问题已经有人回答了，以下是发送的内容：",
  answeredLive: "这个问题刚刚在别处被回答了。",
  sentOptions: "所选项",
  sentText: "文字回答",
  nothingToShow: "此处不再显示回答内容。",
  expiredTitle: "这个问题已过期",
  expiredBody: "回答时间已到，AI 助手会在没有回答的情况下继续。",
  cancelledTitle: "问题已撤回",
  cancelledBody: "提问方已撤回这个问题，无需回答。",

  connectionLive: "实时",
  connectionConnecting: "连接中…",
  connectionOffline: "已断开，正在重试",
  connectionLabel: "实时更新",

  errorEmpty: "请选择一个选项或填写回答。",
  errorTooLong: "回答太长：最多 {max} 字。",
  errorInvalid: "回答未被接受，请检查后重试。",
  errorRateLimited: "尝试次数过多，请稍等一分钟再试。",
  errorNetwork: "无法连接服务器，请检查网络后重试。",
  errorServer: "服务器出了点问题，请重试。",
  errorUnsupported: "无法读取表单，请使用页面上的表单提交。",

  questionImages: "AI 助手附上的图片",
  answerImages: "你的图片",
  imageAlt: "第 {n} 张图片（共 {count} 张）",
  imageClose: "关闭",
  imageAdd: "添加图片",
  imageHint: "可粘贴、拖放或选择最多 {images} 张图片，发送前会自动缩小。",
  imageHintNoJs: "最多可添加 {images} 张图片，每张不超过 {size}。",
  imageCount: "{count} / {images} 张图片",
  imageRemove: "移除第 {n} 张图片",
  imageAttached: "待发送的第 {n} 张图片",
  imagePreparing: "正在处理图片…",
  uploading: "正在上传图片…",
  sentImages: "图片",
  errorImageType: "无法将“{name}”读取为图片。",
  errorImageTooBig: "“{name}”缩小后仍然太大：每张图片最多 {size}。",
  errorImageCount: "每个回答最多 {images} 张图片：“{name}”未添加。",
  errorImagesRefused: "有图片被拒绝：只接受 PNG、JPEG、WebP 和 GIF 图片。",
  errorImagesTooLarge: "图片太大：每张最多 {size}。",
  errorImagesTotalTooLarge: "图片总量太大，无法发送：最多 {images} 张，每张不超过 {size}。",
  errorImagePixels: "“{name}”尺寸太大，无法打开：每边最多 16384 像素，总共最多 5000 万像素。",
  errorImagesTooMany: "图片太多：每个回答最多 {images} 张。",
  errorImageBroken: "有图片无法读取：文件可能已损坏或不完整。",
  errorImageQuota: "图片存储空间已用完，请不带图片发送回答。",
  imagesChooseAgain: "请重新选择图片。",

  notFoundTitle: "这里什么也没有",
  notFoundBody: "此地址没有反馈问题。链接可能不完整，或者问题在结束一段时间后已被删除。",
  aboutLink: "关于本服务",
  rateLimitedTitle: "请求过于频繁",
  errorPageTitle: "出错了",
  errorPageBody: "页面暂时无法显示，请稍后再试。",
  unavailableTitle: "服务暂时不可用",
  unavailableBody: "服务暂时无法访问存储，通常几秒钟内就会恢复，请稍后再试。",
  unavailableNotSaved: "你的回答尚未保存。",
  unavailableResend: "再次发送我的回答",
  unavailableRetry: "重试",
  errorUnavailable: "服务暂时不可用，你的回答尚未保存，请稍后再试。",

  homeTitle: "面向 AI 助手的交互式反馈",
  homeIntro:
    "本服务让 AI 助手可以向人提问并等待回答。助手给你一个链接；你在任何设备上打开它，选择选项或写下回答，助手会立即收到。",
  homeStepsTitle: "工作方式",
  homeStep1: "助手调用 interactive_feedback 工具（MCP）或 POST /api/feedback/create。",
  homeStep2: "它把类似本页的链接展示给你，使用你的语言和主题。",
  homeStep3: "你作答后，助手通过 get_feedback_result 或结果 API 拿到回答。",
  homeConnectTitle: "连接客户端",
  homeConnectIntro:
    "MCP 端点使用 Streamable HTTP，需要由本服务的运营者签发的 Bearer 令牌（JWT）（deno task token --sub NAME）。请把下面的 YOUR_TOKEN 替换成你的令牌。",
  homeEndpoint: "MCP 端点",
  homeClaudeCode: "Claude Code",
  homeClaudeDesktop: "Claude Desktop（claude_desktop_config.json，通过 mcp-remote）",
  homeCursor: "Cursor（.cursor/mcp.json）",
  homeRest: "REST API",
  homeRestBody: "所有路由都写在 OpenAPI 文档里：",
  homeHealth: "健康检查",

  inboxTitle: "收件箱",
  inboxPendingTab: "待回答",
  inboxHistoryTab: "历史",
  inboxTabsLabel: "问题",
  inboxSettingsLink: "设置",
  inboxSignedInAs: "已登录：{owner}",
  inboxEmptyPending: "没有等待你回答的问题。",
  inboxEmptyHistory: "这里还没有内容：已回答、已过期和已撤回的问题会显示在这里。",
  inboxAnswer: "回答",
  inboxHide: "收起",
  inboxOpenPage: "在单独页面打开",
  inboxAsked: "提问于{time}",
  inboxAgoNow: "刚刚",
  inboxAgoMinutes: "{n} 分钟前",
  inboxAgoHours: "{n} 小时前",
  inboxAgoDays: "{n} 天前",
  inboxUnread: "新",
  inboxStatusCompleted: "已回答",
  inboxStatusExpired: "已过期",
  inboxStatusCancelled: "已撤回",
  inboxNoAnswer: "没有给出回答。",
  inboxOffline: "你已离线。网络恢复后收件箱会自动更新。",
  inboxAnnounceNew: "新问题：{title}",
  inboxAnnounceMoved: "{title}：{status}",
  inboxSignInTitle: "登录收件箱",
  inboxSignInIntro:
    "打开你收到的登录链接，或在这里粘贴一次其中的令牌。它会换成本设备上的登录状态，浏览器不会保存令牌。",
  inboxTokenLabel: "令牌",
  inboxSignIn: "登录",
  inboxSignInInvalid: "此登录链接或令牌无效，请索取新的链接。",
  inboxSignInExpired: "此登录链接已过期，请索取新的链接。",
  inboxSignInRateLimited: "来自此网络的登录尝试过多。请等一分钟再试。",
  inboxSignInRefused: "此登录请求不是来自本站，已被拒绝。请在这里重试。",
  inboxSignedOut: "你已退出登录。",
  inboxSignOut: "退出登录",
  inboxSettingsTitle: "收件箱设置",
  inboxSessionsTitle: "已登录的设备",
  inboxSessionsIntro: "每台设备在最后一次使用后保持登录 30 天。撤销某台设备后，它会立即退出登录。",
  inboxThisDevice: "本设备",
  inboxSessionTimes: "登录于{created} · 最后使用{seen}",
  inboxRevoke: "撤销",
  inboxBack: "返回收件箱",
  inboxRefusedTitle: "请求被拒绝",
  inboxRefusedBody: "此请求不是来自收件箱页面，或缺少安全令牌。请返回收件箱重试。",
  pushEnable: "在本设备上通知我",
  pushDisable: "在本设备上关闭",
  pushWorking: "请稍候…",
  pushOn: "本设备已开启通知。",
  pushOff: "有智能体向你提问时，在本设备上收到通知。",
  pushUnavailable:
    "此服务器未开启推送通知：运营者没有设置 VAPID 密钥（VAPID_PUBLIC_KEY、VAPID_PRIVATE_KEY）。",
  pushUnsupported:
    "此浏览器无法在这里接收推送通知。在 iPhone 和 iPad 上，请先将收件箱添加到主屏幕。",
  pushDenied: "此网站的通知已被阻止。请在浏览器的网站设置中允许通知，然后重试。",
  pushFailed: "无法开启通知：{error}",
  pushDevicesTitle: "推送通知",
  pushDevicesEmpty: "还没有设备接收推送通知。",
  pushDeviceTimes: "开启于{created}",
  pushDeviceDelivered: "最近送达{time}",
  pushDeviceFailed: "最近失败{time}：{error}",
  pushRemove: "移除",
  pushNewQuestion: "新问题",
  pushNewQuestionFrom: "来自 {agent} 的新问题",
  pushNewQuestions: "{n} 个新问题",
};

/** The dictionary: every key exists in every language (the type enforces it). */
export const MESSAGES: Record<Lang, Messages> = { en, zh };

/** The strings of one language. */
export function messagesFor(lang: Lang): Messages {
  return MESSAGES[lang];
}

/** The strings of `keys` only: what an island needs, so the page does not ship the dictionary. */
export function pickMessages<K extends MessageKey>(
  lang: Lang,
  keys: readonly K[],
): Record<K, string> {
  const all = MESSAGES[lang];
  return Object.fromEntries(keys.map((k) => [k, all[k]])) as Record<K, string>;
}

/** Fills `{name}` placeholders; unknown placeholders are left as they are. */
export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(
    /\{(\w+)\}/g,
    (whole, name: string) => name in values ? String(values[name]) : whole,
  );
}

/** A supported language named by `value`, or undefined (so bad input is simply ignored). */
export function parseLang(value: string | null | undefined): Lang | undefined {
  const v = (value ?? "").trim().toLowerCase();
  return (LANGS as readonly string[]).includes(v) ? v as Lang : undefined;
}

/**
 * The best supported language of an `Accept-Language` header, by quality then order;
 * `zh-TW`, `zh-Hans` and the like count as Chinese, `en-GB` as English.
 */
export function langFromAcceptLanguage(header: string | null | undefined): Lang | undefined {
  if (!header) return undefined;
  let best: { lang: Lang; q: number; index: number } | undefined;
  header.split(",").slice(0, 32).forEach((part, index) => {
    const [range, ...params] = part.trim().split(";");
    const lang = parseLang(range.split("-")[0]);
    if (!lang) return;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) return;
    if (!best || q > best.q) best = { lang, q, index };
  });
  return best?.lang;
}

/** Where the language of a request may come from, most important first. */
export interface LangSources {
  query?: string | null;
  cookie?: string | null;
  acceptLanguage?: string | null;
}

/** `?lang` > cookie > `Accept-Language` > English. */
export function resolveLang(sources: LangSources): Lang {
  return parseLang(sources.query) ?? parseLang(sources.cookie) ??
    langFromAcceptLanguage(sources.acceptLanguage) ?? "en";
}
