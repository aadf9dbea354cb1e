"""Why a control is disabled: the permission the signed-in role lacks (access.offer)."""

STRINGS: dict[str, tuple[str, str]] = {
    "access.need.view": ("需要查看权限", "Needs the right to view this page"),
    "access.need.handle": ("需要预警处置权限", "Needs the right to handle warnings"),
    "access.need.handle_all": ("需要全市预警处置权限（值班员）", "Needs the right to handle every domain's warnings (duty officer)"),
    "access.need.export": ("需要导出权限", "Needs the right to export"),
    "access.need.print": ("需要打印（PDF）权限", "Needs the right to print (PDF)"),
    "access.need.administer": ("需要管理员权限", "Needs administrator rights"),
    "nav.menu": ("菜单", "Menu"),
    "access.notfound.title": ("页面不存在", "Page not found"),
    "access.notfound.body": ("没有这个页面。请检查地址，或从首页进入。", "There is no such page. Check the address, or start from the home page."),
}
