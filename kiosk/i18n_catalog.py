"""The message catalogue: key → {language: text}. Short, plain words; say what to do next."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    # Attract / identify
    "app.title": {"zh_CN": "人社自助服务终端", "zh_TW": "人社自助服務終端", "en": "Social Security Self-Service"},
    "attract.insert_card": {
        "zh_CN": "请插入社会保障卡",
        "zh_TW": "請插入社會保障卡",
        "en": "Please insert your social security card",
    },
    "attract.hint": {
        "zh_CN": "芯片朝上，插入读卡器",
        "zh_TW": "晶片朝上，插入讀卡器",
        "en": "Chip facing up, into the card reader",
    },
    "announcement.warning": {"zh_CN": "【重要】", "zh_TW": "【重要】", "en": "Important:"},
    "announcement.info": {"zh_CN": "【通知】", "zh_TW": "【通知】", "en": "Notice:"},
    "reading.title": {
        "zh_CN": "正在读卡，请勿拔卡…",
        "zh_TW": "正在讀卡，請勿拔卡…",
        "en": "Reading your card, please do not remove it…",
    },
    "pin.title": {"zh_CN": "{name}，您好", "zh_TW": "{name}，您好", "en": "Hello, {name}"},
    "pin.prompt": {
        "zh_CN": "请输入社保卡密码（6位数字）",
        "zh_TW": "請輸入社保卡密碼（6位數字）",
        "en": "Enter your card PIN (6 digits)",
    },
    "pin.wrong": {
        "zh_CN": "密码错误，还可以再试 {tries} 次",
        "zh_TW": "密碼錯誤，還可以再試 {tries} 次",
        "en": "Wrong PIN. Tries left: {tries}",
    },
    "pin.too_many": {
        "zh_CN": "密码错误次数较多，请到服务窗口办理",
        "zh_TW": "密碼錯誤次數較多，請到服務窗口辦理",
        "en": "Too many wrong PINs. Please go to a service counter",
    },
    "pin.verifying": {"zh_CN": "正在验证，请稍候…", "zh_TW": "正在驗證，請稍候…", "en": "Checking, please wait…"},
    "key.clear": {"zh_CN": "清除", "zh_TW": "清除", "en": "Clear"},
    "key.delete": {"zh_CN": "退格", "zh_TW": "退格", "en": "Delete"},
    "key.ok": {"zh_CN": "确认", "zh_TW": "確認", "en": "OK"},
    "key.back": {"zh_CN": "返回", "zh_TW": "返回", "en": "Back"},
    "key.exit": {"zh_CN": "退出并取卡", "zh_TW": "退出並取卡", "en": "Finish and take card"},
    "key.print": {"zh_CN": "打印", "zh_TW": "列印", "en": "Print"},
    "key.continue": {"zh_CN": "继续办理", "zh_TW": "繼續辦理", "en": "Continue"},
    # Menu and services
    "menu.title": {"zh_CN": "请选择要办理的业务", "zh_TW": "請選擇要辦理的業務", "en": "Choose a service"},
    "service.insurance_info": {"zh_CN": "参保信息查询", "zh_TW": "參保資訊查詢", "en": "My insurance"},
    "service.contributions": {"zh_CN": "缴费明细查询", "zh_TW": "繳費明細查詢", "en": "My contributions"},
    "service.print_insured_certificate": {
        "zh_CN": "打印参保证明",
        "zh_TW": "列印參保證明",
        "en": "Print proof of insurance",
    },
    "service.print_payment_certificate": {
        "zh_CN": "打印缴费凭证",
        "zh_TW": "列印繳費憑證",
        "en": "Print payment record",
    },
    "service.print_rights_statement": {
        "zh_CN": "打印个人权益单",
        "zh_TW": "列印個人權益單",
        "en": "Print rights statement",
    },
    "service.printing_unavailable": {
        "zh_CN": "打印暂停：{reason}",
        "zh_TW": "列印暫停：{reason}",
        "en": "Printing paused: {reason}",
    },
    "insurance.title": {"zh_CN": "参保信息", "zh_TW": "參保資訊", "en": "Insurance"},
    "insurance.col.type": {"zh_CN": "险种", "zh_TW": "險種", "en": "Type"},
    "insurance.col.status": {"zh_CN": "状态", "zh_TW": "狀態", "en": "Status"},
    "insurance.col.start": {"zh_CN": "参保日期", "zh_TW": "參保日期", "en": "Since"},
    "insurance.col.unit": {"zh_CN": "参保单位", "zh_TW": "參保單位", "en": "Employer"},
    "insurance.months_paid": {
        "zh_CN": "累计缴费 {months} 个月",
        "zh_TW": "累計繳費 {months} 個月",
        "en": "{months} months paid in total",
    },
    "contrib.col.period": {"zh_CN": "缴费月份", "zh_TW": "繳費月份", "en": "Month"},
    "contrib.col.type": {"zh_CN": "险种", "zh_TW": "險種", "en": "Type"},
    "contrib.col.base": {"zh_CN": "缴费基数", "zh_TW": "繳費基數", "en": "Base"},
    "contrib.col.personal": {"zh_CN": "个人缴纳", "zh_TW": "個人繳納", "en": "Personal"},
    "contrib.totals": {
        "zh_CN": "缴费 {months} 个月，个人合计 {personal} 元，单位合计 {unit} 元",
        "zh_TW": "繳費 {months} 個月，個人合計 {personal} 元，單位合計 {unit} 元",
        "en": "{months} months paid; personal {personal}, employer {unit} (CNY)",
    },
    "contrib.col.unit": {"zh_CN": "单位缴纳", "zh_TW": "單位繳納", "en": "Employer"},
    "loading": {"zh_CN": "正在查询，请稍候…", "zh_TW": "正在查詢，請稍候…", "en": "Loading, please wait…"},
    # Printing
    "print.preview_title": {"zh_CN": "请核对打印内容", "zh_TW": "請核對列印內容", "en": "Please check before printing"},
    "print.issuing": {
        "zh_CN": "正在生成证明，请稍候…",
        "zh_TW": "正在產生證明，請稍候…",
        "en": "Preparing your certificate…",
    },
    "print.printing": {"zh_CN": "正在打印，请稍候…", "zh_TW": "正在列印，請稍候…", "en": "Printing, please wait…"},
    "print.done": {
        "zh_CN": "打印完成，请取走凭证",
        "zh_TW": "列印完成，請取走憑證",
        "en": "Done. Please take your printout",
    },
    "print.failed_kept": {
        "zh_CN": "打印未完成，已保存，可在打印机恢复后补打",
        "zh_TW": "列印未完成，已保存，可在印表機恢復後補打",
        "en": "Printing did not finish. It is saved and can be reprinted once the printer is fixed",
    },
    # A staff command (test page, reprints) waits while a resident is being served
    "print.staff_deferred": {
        "zh_CN": "正在为群众办理业务，请稍后再试",
        "zh_TW": "正在為民眾辦理業務，請稍後再試",
        "en": "A resident is being served. Please try again later",
    },
    # End of session
    "remove_card.title": {"zh_CN": "请取走您的社保卡", "zh_TW": "請取走您的社保卡", "en": "Please take your card"},
    "idle.title": {"zh_CN": "您还在吗？", "zh_TW": "您還在嗎？", "en": "Are you still there?"},
    "idle.countdown": {
        "zh_CN": "{seconds} 秒后将自动退出",
        "zh_TW": "{seconds} 秒後將自動退出",
        "en": "Ending in {seconds} seconds",
    },
    "idle.stay": {"zh_CN": "继续办理", "zh_TW": "繼續辦理", "en": "I'm still here"},
    "out_of_service": {
        "zh_CN": "本机暂停服务，请到其他终端或服务窗口办理",
        "zh_TW": "本機暫停服務，請到其他終端或服務窗口辦理",
        "en": "Out of service. Please use another terminal or a counter",
    },
    # Face verification
    "key.face": {"zh_CN": "刷脸验证", "zh_TW": "刷臉驗證", "en": "Use my face"},
    "key.cancel": {"zh_CN": "取消", "zh_TW": "取消", "en": "Cancel"},
    "face.title": {"zh_CN": "人脸识别", "zh_TW": "人臉識別", "en": "Face check"},
    "face.capture.look": {
        "zh_CN": "请正对摄像头，按提示做动作",
        "zh_TW": "請正對攝影機，按提示做動作",
        "en": "Look at the camera and follow the instructions",
    },
    "face.verifying": {
        "zh_CN": "正在比对，请稍候…",
        "zh_TW": "正在比對，請稍候…",
        "en": "Checking your face, please wait…",
    },
    "face.quality.no_face": {"zh_CN": "请将脸部对准屏幕", "zh_TW": "請將臉部對準螢幕", "en": "Please face the screen"},
    "face.quality.multiple_faces": {
        "zh_CN": "请保持画面中只有一人",
        "zh_TW": "請保持畫面中只有一人",
        "en": "Only one person in view, please",
    },
    "face.quality.too_small": {"zh_CN": "请靠近一点", "zh_TW": "請靠近一點", "en": "Come a little closer"},
    "face.quality.too_large": {"zh_CN": "请离远一点", "zh_TW": "請離遠一點", "en": "Move back a little"},
    "face.quality.not_centred": {
        "zh_CN": "请将脸部移到框内",
        "zh_TW": "請將臉部移到框內",
        "en": "Move your face into the frame",
    },
    "face.quality.not_frontal": {"zh_CN": "请正对屏幕", "zh_TW": "請正對螢幕", "en": "Look straight at the screen"},
    "face.quality.too_dark": {"zh_CN": "光线太暗", "zh_TW": "光線太暗", "en": "Too dark"},
    "face.quality.too_bright": {"zh_CN": "光线太亮", "zh_TW": "光線太亮", "en": "Too bright"},
    "face.quality.blurry": {"zh_CN": "请保持不动", "zh_TW": "請保持不動", "en": "Please hold still"},
    "face.liveness.blink": {"zh_CN": "请眨眨眼", "zh_TW": "請眨眨眼", "en": "Please blink"},
    "face.liveness.open_mouth": {"zh_CN": "请张张嘴", "zh_TW": "請張張嘴", "en": "Please open your mouth"},
    "face.liveness.turn_left": {"zh_CN": "请向左转头", "zh_TW": "請向左轉頭", "en": "Turn your head to the left"},
    "face.liveness.turn_right": {"zh_CN": "请向右转头", "zh_TW": "請向右轉頭", "en": "Turn your head to the right"},
    "face.liveness.timeout": {
        "zh_CN": "活体检测超时，请重试或输入密码",
        "zh_TW": "活體檢測逾時，請重試或輸入密碼",
        "en": "Time is up. Try again or enter your PIN",
    },
    "face.liveness.failed": {
        "zh_CN": "活体检测未通过，请重试或输入密码",
        "zh_TW": "活體檢測未通過，請重試或輸入密碼",
        "en": "Liveness check failed. Try again or enter your PIN",
    },
    "face.capture.timeout": {
        "zh_CN": "未能完成人脸采集，请重试或输入密码",
        "zh_TW": "未能完成人臉採集，請重試或輸入密碼",
        "en": "Could not capture your face. Try again or enter your PIN",
    },
    "face.capture.cancelled": {"zh_CN": "人脸采集已取消", "zh_TW": "人臉採集已取消", "en": "Face check cancelled"},
    "camera.no_device": {
        "zh_CN": "未检测到摄像头，请输入密码",
        "zh_TW": "未偵測到攝影機，請輸入密碼",
        "en": "No camera found. Please enter your PIN",
    },
    "camera.disconnected": {
        "zh_CN": "摄像头已断开，请输入密码或联系工作人员",
        "zh_TW": "攝影機已斷開，請輸入密碼或聯繫工作人員",
        "en": "Camera disconnected. Enter your PIN or ask staff",
    },
    "camera.error": {
        "zh_CN": "摄像头故障，请输入密码或联系工作人员",
        "zh_TW": "攝影機故障，請輸入密碼或聯繫工作人員",
        "en": "Camera fault. Enter your PIN or ask staff",
    },
    "camera.ready": {"zh_CN": "摄像头正常", "zh_TW": "攝影機正常", "en": "Camera ready"},
    "config.bundle_rejected": {
        "zh_CN": "远程配置未通过校验，已继续使用上一版配置",
        "zh_TW": "遠端配置未通過校驗，已繼續使用上一版配置",
        "en": "Remote configuration refused; the last good configuration stays in force",
    },
    # Card errors
    "card.no_reader": {
        "zh_CN": "读卡器未连接，请联系工作人员",
        "zh_TW": "讀卡器未連接，請聯繫工作人員",
        "en": "Card reader not connected. Please ask staff",
    },
    "card.no_card": {
        "zh_CN": "未检测到卡片，请重新插卡",
        "zh_TW": "未檢測到卡片，請重新插卡",
        "en": "No card found. Please insert it again",
    },
    "card.not_sscard": {
        "zh_CN": "这不是社会保障卡，请插入社保卡",
        "zh_TW": "這不是社會保障卡，請插入社保卡",
        "en": "This is not a social security card",
    },
    "card.removed": {
        "zh_CN": "卡片已拔出，本次办理已结束",
        "zh_TW": "卡片已拔出，本次辦理已結束",
        "en": "The card was removed. Session ended",
    },
    "card.mute": {
        "zh_CN": "卡片无响应，请擦拭芯片后重新插卡",
        "zh_TW": "卡片無回應，請擦拭晶片後重新插卡",
        "en": "The card does not respond. Clean the chip and insert it again",
    },
    "card.bad_data": {
        "zh_CN": "卡片信息无法识别，请到服务窗口检查社保卡",
        "zh_TW": "卡片資訊無法識別，請到服務窗口檢查社保卡",
        "en": "The card data cannot be read. Please have it checked at a counter",
    },
    "card.unexpected_status": {
        "zh_CN": "读卡出错，请重新插卡",
        "zh_TW": "讀卡出錯，請重新插卡",
        "en": "Card error. Please insert it again",
    },
    "card.pin_blocked": {
        "zh_CN": "密码已锁定，请携带身份证到服务窗口解锁",
        "zh_TW": "密碼已鎖定，請攜帶身分證到服務窗口解鎖",
        "en": "PIN blocked. Bring your ID card to a service counter to unblock it",
    },
    "card.pin_format": {"zh_CN": "密码应为6位数字", "zh_TW": "密碼應為6位數字", "en": "The PIN has 6 digits"},
    "card.service": {
        "zh_CN": "读卡服务未运行，请联系工作人员",
        "zh_TW": "讀卡服務未執行，請聯繫工作人員",
        "en": "Card service not running. Please ask staff",
    },
    # Printer
    "printer.unknown": {"zh_CN": "打印机状态未知", "zh_TW": "印表機狀態未知", "en": "Printer status unknown"},
    "printer.ready": {"zh_CN": "打印机正常", "zh_TW": "印表機正常", "en": "Printer ready"},
    "printer.paper_near_end": {"zh_CN": "打印纸即将用完", "zh_TW": "列印紙即將用完", "en": "Paper running low"},
    "printer.no_paper": {"zh_CN": "打印机缺纸", "zh_TW": "印表機缺紙", "en": "Printer out of paper"},
    "printer.cover_open": {"zh_CN": "打印机盖未关好", "zh_TW": "印表機蓋未關好", "en": "Printer cover open"},
    "printer.offline": {"zh_CN": "打印机未连接", "zh_TW": "印表機未連接", "en": "Printer offline"},
    "printer.error": {"zh_CN": "打印机故障", "zh_TW": "印表機故障", "en": "Printer fault"},
    # Backend
    "backend.unavailable": {
        "zh_CN": "服务暂时不可用，请稍后再试",
        "zh_TW": "服務暫時不可用，請稍後再試",
        "en": "Service temporarily unavailable. Please try again later",
    },
    "backend.timeout": {
        "zh_CN": "网络繁忙，请稍后再试",
        "zh_TW": "網路繁忙，請稍後再試",
        "en": "The network is busy. Please try again later",
    },
    "backend.rejected": {
        "zh_CN": "无法办理：{reason}",
        "zh_TW": "無法辦理：{reason}",
        "en": "Cannot proceed: {reason}",
    },
    "config.invalid": {
        "zh_CN": "终端配置有误，请联系工作人员",
        "zh_TW": "終端配置有誤，請聯繫工作人員",
        "en": "Terminal misconfigured. Please ask staff",
    },
    "error.generic": {
        "zh_CN": "出现问题，请稍后再试或联系工作人员",
        "zh_TW": "出現問題，請稍後再試或聯繫工作人員",
        "en": "Something went wrong. Please try again or ask staff",
    },
}
