"""Strings of sign-in throttling, sign-out and refused cross-site requests: key → (中文, English)."""

STRINGS: dict[str, tuple[str, str]] = {
    "login.throttled": ("尝试过于频繁，请 {seconds} 秒后再试。", "Too many attempts: try again in {seconds} s."),
    "logout.confirm.body": ("退出后，您在所有设备上的登录都将失效。", "Signing out ends your sessions on every device."),
    "logout.confirm.cancel": ("返回", "Back"),
    "request.cross_site.title": ("请求被拒绝", "Request refused"),
    "request.cross_site.body": ("此请求不是从本系统的页面发出的，已被拒绝并记录。请从本系统页面重新操作。",
                                "This request did not come from a page of this site: it was refused and logged. "
                                "Please try again from the site itself."),
    "request.cross_site.back": ("返回首页", "Go to the start page"),
}
