"""Codes a department writes, shown to people as words (labels from the city config)."""

from __future__ import annotations

from typing import Any

from citybrain.i18n import t


def status_label(code: str | None, settings: Any, lang: str) -> str:
    """A ticket's status as words: the hotline source's ``status_labels`` (city config), else
    the catalogue's usual 12345 meanings, else the code (never a bare "20" when it is known)."""
    if not code:
        return ""
    for source in settings.sources:
        if source.domain != "hotline":
            continue
        label = source.status_labels.get(code)
        if isinstance(label, dict):
            return label.get(lang) or label.get("zh") or label.get("en") or code
        if label:
            return label
    key = f"hotline.status.{code}"
    text = t(key, lang)
    return code if text == key else text


def category_label(name: str | None, lang: str) -> str:
    """A hotline 诉求类别 in ``lang`` (the catalogue knows the usual ones; a department's own
    names show as written). The category itself stays the key for drill-down and filters."""
    if not name:
        return ""
    key = f"hotline.cat.{name}"
    text = t(key, lang)
    return name if text == key else text


#: resources that are not a domain (domains read "domain.<name>")
_RESOURCES = ("overview", "warnings", "sources", "briefings", "audit", "wall", "home", "users", "api")


def resource_label(name: str, lang: str) -> str:
    """A page/resource name as the navigation says it (交通, 预警中心…); unknown names as they are."""
    for key in (f"domain.{name}", f"audit.res.{name}"):
        text = t(key, lang)
        if text != key:
            return text
    return name


def _district(code: str, settings: Any, lang: str) -> str:
    from citybrain.i18n import pick

    if code in ("", "city"):
        return t("audit.what.city", lang)
    names = {d.code: pick(d.name_zh, d.name_en, lang) for d in settings.districts}
    return names.get(code, code)


def audit_action(action: str, lang: str) -> str:
    """An audit action (``export``, ``warning.ack``…) as words; unknown ones as they are."""
    key = f"audit.action.{action}"
    text = t(key, lang)
    return action if text == key else text


def audit_target(target: str | None, settings: Any, lang: str, detail: dict[str, Any] | None = None) -> str:
    """What an audit row aimed at, in words — ``export:traffic:traffic`` + csv → "导出 交通 CSV",
    ``warning:12`` → "预警 #12", ``pdf:traffic:city`` → "交通 PDF（全市）",
    ``callback:warnings.act`` → "预警中心 · act", ``view:411002/`` → "视图 魏都区",
    ``screen:overview`` → "大屏 overview", ``page:/traffic`` → "页面 交通". A Dash component id
    (rows written before the gate named callbacks) becomes the component's type. Anything else
    is shown as written: the raw target stays in the cell's tooltip."""
    import json
    import re

    if not target:
        return ""
    kind, _, rest = target.partition(":")
    detail = detail or {}
    if kind == "export":
        resource, _, _name = rest.partition(":")
        fmt = str(detail.get("format") or "").upper()
        return t("audit.what.export", lang, what=resource_label(resource, lang), fmt=fmt or t("audit.what.table", lang))
    if kind == "pdf":
        page, _, district = rest.partition(":")
        return t("audit.what.pdf", lang, what=resource_label(page, lang), where=_district(district, settings, lang))
    if kind in ("warning", "silence", "token", "briefing") and rest:
        return t(f"audit.what.{kind}", lang, id=rest)
    if kind == "callback" and rest:
        page, _, fn = rest.partition(".")
        return f"{resource_label(page, lang)} · {fn}" if fn else resource_label(page, lang)
    if kind == "view":
        district, _, item = rest.partition("/")
        where = _district(district, settings, lang)
        return t("audit.what.view", lang, where=where + (f" / {item}" if item else ""))
    if kind == "screen":
        return t("audit.what.screen", lang, name=rest)
    if kind == "page":
        path = rest.strip("/").split("/")[0] or "home"
        return t("audit.what.page", lang, name=resource_label(path, lang))
    if target.startswith("{"):
        m = re.match(r"^(\{.*\})(\.\w+)?$", target)
        try:
            ident = json.loads(m.group(1)) if m else {}
        except ValueError:
            ident = {}
        if ident.get("type") == "cb-download":
            return t("audit.what.export", lang, what=t("audit.what.table", lang), fmt=str(detail.get("format") or "").upper())
        if ident:
            return t("audit.what.component", lang, name=str(ident.get("type") or next(iter(ident))))
    return target
