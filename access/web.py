"""Sign-in and sign-out: a plain page served by Flask (no Dash needed to get in), bilingual;
the language switch, the wall token's exchange for a cookie, and :func:`safe_target`, the
one check of every redirect target a request names."""

from __future__ import annotations

import logging
from html import escape
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import flask

from access import audit
from access.identity import address, current, sign_in
from access.roles import Principal, allowed, resources_for
from access.state import state
from access.throttle import login_wait
from access.users import LoginRefused, authenticate
from citybrain import context
from citybrain.i18n import LANGS, pick, t
from citybrain.settings import DOMAINS

log = logging.getLogger("citybrain.access")
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


def safe_target(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, ``default`` otherwise — for ``next`` and
    every other redirect target taken from a request (OWASP ASVS 4.0 V5.1.5).

    Refused: anything not starting with one slash (``//host``, slash-backslash-host and
    schemes are other sites to a browser), backslashes, and control characters (below
    0x20, and 0x7f) — browsers drop tab, CR and LF from URLs (WHATWG URL Standard §4.4),
    so ``/%09/evil.example`` decoded is ``//evil.example`` to them, and CR/LF would split
    the ``Location`` header.
    """
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//") or len(target) > 2048:
        return default
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def _same_site_url(url: str) -> str | None:
    """The local target of ``url`` if it is an absolute URL of this host (as a browser sent
    it, e.g. a Referer, or as Werkzeug writes a redirect), else None."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != flask.request.host.lower():
        return None
    local = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return safe_target(local, "") or None


def local_location(location: str) -> str:
    """A redirect's ``Location`` as it may leave this app: a local path, or an absolute URL
    of this very host; anything else becomes ``/`` (the net under every redirect,
    :mod:`access.headers`)."""
    if safe_target(location, "") or _same_site_url(location):
        return location
    return "/"


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
    nxt = safe_target(flask.request.values.get("next"), "")
    body = (f'<a class="lang" href="/login?lang={other}&amp;next={escape(quote(nxt, safe="/"))}">'
            f'{escape(t("lang.switch", lang))}</a>'
            f'<h1>{escape(t("app.title", lang))}</h1><p class="city">{escape(pick(city.name_zh, city.name_en, lang))}</p>'
            + (f'<p class="msg" role="alert">{escape(message)}</p>' if message else "")
            + (f'<p class="note">{escape(note)}</p>' if note else "")
            + f'<form method="post" action="/login?lang={lang}"><input type="hidden" name="next" value="{escape(nxt)}">'
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
    """Sign in: throttled first (:mod:`access.throttle`), then one password check; a
    wrong password, an unknown or disabled account all get the same 401 page."""
    engine = context.engine()
    cfg = state().config
    username = (flask.request.form.get("username") or "").strip()
    password = flask.request.form.get("password") or ""
    lang = _lang()
    user = username[:64] or "?"
    wait = login_wait(engine, username, address(), cfg, known_device=username in _device_accounts())
    if wait is not None:
        if wait.audit:
            audit.record(engine, actor=user, action="login.throttled", target=user, address=address(),
                         detail={"scope": wait.scope, "retry_after": wait.seconds})
        response = login_form(t("login.throttled", lang, seconds=wait.seconds), status=429)
        response.headers["Retry-After"] = str(wait.seconds)
        return response
    try:
        principal = authenticate(engine, username, password)
    except LoginRefused as refused:
        audit.record(engine, actor=user, action="login.failed", target=user, detail={"reason": refused.reason},
                     address=address())
        return login_form(t("login.failed", lang), status=401)
    sign_in(principal)
    audit.record(engine, actor=principal.name, action="login", target=principal.name, address=address(),
                 detail={"role": principal.role})
    response = flask.redirect(safe_target(flask.request.form.get("next"), "") or home_for(principal))
    _remember_device(response, principal.name)
    return response


#: a signed list of the accounts that signed in from this browser (:mod:`access.throttle`)
DEVICE_COOKIE = "citybrain_device"
DEVICE_DAYS = 180
DEVICE_ACCOUNTS = 8


def _device_serializer() -> Any:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(flask.current_app.secret_key, salt="citybrain.device")


def _device_accounts() -> list[str]:
    """The accounts this browser signed in to (verified signature, not older than :data:`DEVICE_DAYS`)."""
    from itsdangerous import BadData

    raw = flask.request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        names = _device_serializer().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadData:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _remember_device(response: flask.Response, username: str) -> None:
    names = [username, *(n for n in _device_accounts() if n != username)][:DEVICE_ACCOUNTS]
    response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps(names), max_age=DEVICE_DAYS * 86400,
                        httponly=True, samesite="Lax", secure=_secure_cookie())


def _secure_cookie() -> bool:
    return bool(flask.current_app.config.get("SESSION_COOKIE_SECURE")) or flask.request.is_secure


def logout_form(lang: str, label_key: str = "login.logout") -> str:
    """The sign-out control of a plain page: a POST form (sign-out changes state, so a link
    or an image elsewhere must not be able to do it)."""
    return (f'<form method="post" action="/logout" class="logout"><button type="submit" id="logout-submit">'
            f'{escape(t(label_key, lang))}</button></form>')


@bp.get("/logout")
def logout_page() -> Any:
    """A GET cannot sign out (a link on another site could): it asks, with a POST form."""
    from access.identity import session_principal

    lang = _lang()
    if session_principal() is None:
        return flask.redirect(f"/login?lang={lang}")
    body = (f'<h1>{escape(t("login.logout", lang))}</h1><p>{escape(t("logout.confirm.body", lang))}</p>'
            + logout_form(lang) + f'<p><a href="/">{escape(t("logout.confirm.cancel", lang))}</a></p>')
    return page(t("login.logout", lang), body)


@bp.post("/logout")
def logout() -> Any:
    """Sign out: this session ends, and every other session of the user with it."""
    from access.identity import session_principal
    from access.users import end_sessions

    who = current() or session_principal()
    if who is not None and who.via in ("session", "sso"):
        end_sessions(context.engine(), who.name)
        audit.record(context.engine(), actor=who.name, action="logout", address=address())
    flask.session.clear()
    return flask.redirect(f"/login?out=1&lang={_lang()}")


@bp.get("/set-lang/<lang>")
def set_lang(lang: str) -> Any:
    """Switch the interface language, remember it for a year, and go back to the page."""
    target = safe_target(flask.request.args.get("next"), "") or _local_path(flask.request.referrer, "")
    if not target:  # no page to go back to: the reader's own start page ("/" is not everyone's)
        from access.identity import session_principal

        who = session_principal()
        target = home_for(who) if who is not None else "/"
    response = flask.redirect(target)
    if lang in LANGS:
        response.set_cookie(context.LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=_secure_cookie())
    return response


def _local_path(url: str | None, default: str = "/") -> str:
    """The path (and query) of ``url`` if it points at this site; ``default`` otherwise."""
    return (_same_site_url(url) if url else None) or default


WALL_PREFIX = "/wall"


@bp.before_app_request
def exchange_wall_token() -> Any:
    """``/wall/<screen>?token=cbw_…``: the token becomes the session cookie and the browser
    is sent (302) to the same URL without it, so the secret does not stay in the address
    bar, in the Referer of what the page loads, or in the access log of every later request
    (OWASP ASVS 4.0 V3.1.1: no session tokens in URLs). A token that is not valid is
    dropped from the URL the same way (the page then asks for a sign-in as always).

    Registered on the app with the blueprint, so it runs before the access guard.
    """
    req = flask.request
    if "token" not in req.args or req.method not in ("GET", "HEAD") or not (
            req.path == WALL_PREFIX or req.path.startswith(WALL_PREFIX + "/")):
        return None
    from access.identity import sign_in_wall
    from access.tokens import verify_token

    found = verify_token(context.engine(), req.args.get("token"), "wall")
    if found is not None:
        sign_in_wall(found)
    else:
        log.info("wall token refused for %s from %s", req.path, address())
    rest = [(k, v) for k, v in req.args.items(multi=True) if k != "token"]
    response = flask.redirect(safe_target(req.path + (f"?{urlencode(rest)}" if rest else "")))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def forbidden_page(principal: Principal) -> flask.Response:
    lang = _lang()
    role = t(f"access.role.{principal.role}", lang)
    body = (f'<h1>{escape(t("access.forbidden.title", lang))}</h1>'
            f'<p>{escape(t("access.forbidden.body", lang, role=role))}</p>'
            f'<p><a href="{escape(home_for(principal))}">{escape(t("access.forbidden.home", lang))}</a></p>'
            + (logout_form(lang) if principal.via in ("session", "sso") else ""))
    return page(t("access.forbidden.title", lang), body, 403)


def visible_resources(principal: Principal | None) -> frozenset[str]:
    """What the shell may link to (hiding links is a courtesy; enforcement is in access.enforce)."""
    return resources_for(principal, "view") if principal else frozenset()
