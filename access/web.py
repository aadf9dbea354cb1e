"""Sign-in and sign-out: a plain page served by Flask (no Dash needed to get in), bilingual."""

from __future__ import annotations

from html import escape
from typing import Any

import flask

from access import audit
from access.identity import address, current, sign_in
from access.roles import Principal, allowed, resources_for
from access.state import state
from access.users import LoginRefused, authenticate
from citybrain import context
from citybrain.i18n import LANGS, pick, t
from citybrain.settings import DOMAINS

bp = flask.Blueprint("access", __name__)

_PAGE = """<!doctype html>
<html lang="{htmllang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>
body{{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',system-ui,sans-serif;background:#f1f3f5;margin:0}}
main{{max-width:380px;margin:12vh auto;background:#fff;border-radius:10px;padding:28px 32px;box-shadow:0 2px 12px #0002}}
h1{{font-size:20px;margin:0 0 4px}} .city{{color:#555;margin:0 0 20px}}
label{{display:block;margin:12px 0 4px;font-size:14px}} input{{width:100%;box-sizing:border-box;padding:8px;font-size:15px}}
button{{margin-top:18px;width:100%;padding:9px;font-size:15px;background:#4263eb;color:#fff;border:0;border-radius:6px}}
.msg{{color:#c92a2a;margin:10px 0}} .note{{color:#2b8a3e;margin:10px 0}} a{{color:#4263eb}} .lang{{float:right;font-size:13px}}
</style></head><body><main>{body}</main></body></html>"""


def _lang() -> str:
    return context.lang()


def page(title: str, body: str, status: int = 200) -> flask.Response:
    lang = _lang()
    html = _PAGE.format(htmllang="en" if lang == "en" else "zh-CN", title=escape(title), body=body)
    return flask.Response(html, status=status, mimetype="text/html")


def _safe_next(target: str | None) -> str | None:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def home_for(principal: Principal) -> str:
    """The first page ``principal`` may open: home, else a domain page, the warnings, the wall."""
    if allowed(principal, "view", "overview"):
        return "/"
    for domain in DOMAINS:
        if allowed(principal, "view", domain):
            return f"/{domain}" + (f"?district={principal.district}" if principal.district else "")
    if allowed(principal, "view", "warnings"):
        return "/warnings"
    if principal.screen:
        return f"/wall/{principal.screen}"
    if allowed(principal, "view", "wall"):
        return "/wall"
    return "/login"


def login_form(message: str = "", note: str = "", status: int = 200) -> flask.Response:
    lang = _lang()
    city = context.settings().city
    other = "en" if lang == "zh" else "zh"
    nxt = escape(_safe_next(flask.request.values.get("next")) or "")
    body = (f'<a class="lang" href="/login?lang={other}&next={nxt}">{escape(t("lang.switch", lang))}</a>'
            f'<h1>{escape(t("app.title", lang))}</h1><p class="city">{escape(pick(city.name_zh, city.name_en, lang))}</p>'
            + (f'<p class="msg" role="alert">{escape(message)}</p>' if message else "")
            + (f'<p class="note">{escape(note)}</p>' if note else "")
            + f'<form method="post" action="/login?lang={lang}"><input type="hidden" name="next" value="{nxt}">'
              f'<label for="username">{escape(t("login.username", lang))}</label>'
              f'<input id="username" name="username" autocomplete="username" required autofocus>'
              f'<label for="password">{escape(t("login.password", lang))}</label>'
              f'<input id="password" name="password" type="password" autocomplete="current-password" required>'
              f'<button type="submit" id="login-submit">{escape(t("login.submit", lang))}</button></form>')
    return page(t("login.title", lang), body, status)


@bp.get("/login")
def login_page() -> Any:
    return login_form(note=t("login.signed_out", _lang()) if flask.request.args.get("out") else "")


@bp.post("/login")
def login_submit() -> Any:
    engine = context.engine()
    cfg = state().config
    username = (flask.request.form.get("username") or "").strip()
    password = flask.request.form.get("password") or ""
    lang = _lang()
    try:
        principal = authenticate(engine, username, password, cfg)
    except LoginRefused as refused:
        action = "login.locked" if refused.reason == "locked" else "login.failed"
        audit.record(engine, actor=username[:64] or "?", action=action, target=username[:64],
                     detail={"reason": refused.reason}, address=address())
        if refused.reason == "locked":
            return login_form(t("login.locked", lang, minutes=cfg.lockout_minutes), status=429)
        return login_form(t("login.failed", lang), status=401)
    sign_in(principal)
    audit.record(engine, actor=principal.name, action="login", address=address(), detail={"role": principal.role})
    return flask.redirect(_safe_next(flask.request.form.get("next")) or home_for(principal))


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    from access.identity import session_principal

    who = current() or session_principal()
    if who is not None and who.via in ("session", "sso"):
        audit.record(context.engine(), actor=who.name, action="logout", address=address())
    flask.session.clear()
    return flask.redirect(f"/login?out=1&lang={_lang()}")


@bp.get("/set-lang/<lang>")
def set_lang(lang: str) -> Any:
    """Switch the interface language, remember it for a year, and go back to the page."""
    target = flask.request.args.get("next") or _local_path(flask.request.referrer)
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # only local redirects
    response = flask.redirect(target)
    if lang in LANGS:
        response.set_cookie(context.LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def _local_path(url: str | None) -> str:
    """The path (and query) of ``url`` if it points at this site; "/" otherwise."""
    from urllib.parse import urlsplit

    if not url:
        return "/"
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != flask.request.host:
        return "/"
    path = parts.path or "/"
    return path + (f"?{parts.query}" if parts.query else "")


def forbidden_page(principal: Principal) -> flask.Response:
    lang = _lang()
    role = t(f"access.role.{principal.role}", lang)
    body = (f'<h1>{escape(t("access.forbidden.title", lang))}</h1>'
            f'<p>{escape(t("access.forbidden.body", lang, role=role))}</p>'
            f'<p><a href="{escape(home_for(principal))}">{escape(t("access.forbidden.home", lang))}</a> · '
            f'<a href="/logout">{escape(t("login.logout", lang))}</a></p>')
    return page(t("access.forbidden.title", lang), body, 403)


def visible_resources(principal: Principal | None) -> frozenset[str]:
    """What the shell may link to (hiding links is a courtesy; enforcement is in access.enforce)."""
    return resources_for(principal, "view") if principal else frozenset()
