"""Login, roles, district scope, kiosk tokens, CSRF and the audit trail around the Flask
server under Dash. Users live in data/access.py; the scope is enforced by the query layer
(data/queries.Scope): this module only tells the runtime who is asking.

What a request needs (``required``):
- the login page, the health check, scripts, styles, fonts and map styles: nothing;
- a page: a signed-in user (the page itself says when the screen is not theirs);
- a callback: the permission of the screen that registered it (the wall's: ``wall``);
- /export/chart/<chart>: ``export`` and the chart's screen; /download/events: ``download``
  and ``events``; /download/tasks: ``download`` and ``tasks``; /report/<month>: ``report``;
  the GeoJSON: a signed-in user.
"""

from __future__ import annotations

import datetime as dt
import html
import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import flask
import flask_login
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from charts.runtime import EVERYONE
from data.access import NOBODY, Access, Principal, SignIn, what
from web.limits import limit_view

#: Paths anyone may fetch: the sign-in page and what it and a display need before signing
#: in (whole paths, and folders).
PUBLIC_PATHS = frozenset({"/login", "/logout", "/healthz", "/_favicon.ico", "/favicon.ico"})
#: /api/v1/: the feed API, whose requests carry a feed token instead (web/feeds.py).
PUBLIC_FOLDERS = ("/assets/", "/_dash-component-suites/", "/fonts/", "/geo/style/", "/api/v1/")
#: The cookie Dash's renderer echoes as the X-CSRFToken header on every callback.
CSRF_COOKIE = "_csrf_token"
USER_HOURS = 12
KIOSK_DAYS = 30


class _User(flask_login.UserMixin):
    """A principal and its sign-in (data/access sessions): the id in the cookie names
    both, so signing out or expiry ends this sign-in even if the cookie was copied."""

    def __init__(self, principal: Principal, session_id: str):
        self.principal, self.session_id = principal, session_id

    def get_id(self) -> str:
        p = self.principal
        who = f"k:{p.kiosk_id}" if p.kiosk_id is not None else f"u:{p.name}"
        return f"{who}:{self.session_id}"


def _installed() -> Access | None:
    """The access file of the app serving this request (None outside requests or when
    sign-in is off)."""
    if not flask.has_request_context():
        return None
    return flask.current_app.extensions.get("citybrain_access")


def principal() -> Principal:
    """Who makes the current request (EVERYONE outside requests or without login)."""
    if _installed() is None:
        return EVERYONE
    user = flask_login.current_user
    return user.principal if user.is_authenticated else NOBODY


@dataclass(frozen=True)
class _Gate:
    """What the sign-in blueprint needs of the app it serves (``flask.current_app``)."""

    runtime: Any
    access: Access
    #: callback output key -> the permission its screen needs (None: any signed-in user)
    callback_screens: dict[str, str | None]
    #: chart id -> its screen
    chart_screens: dict[str, str]


blueprint = flask.Blueprint("auth", __name__)


def install(app, runtime, access: Access, callback_screens: dict[str, str | None],
            chart_screens: dict[str, str]) -> None:
    """Put the login gate in front of ``app`` (a Dash app): the blueprint's sign-in pages, the
    gate before every request, CSRF, sessions and the per-address limit of sign-ins."""
    server = app.server
    settings = runtime.settings
    server.extensions["citybrain_access"] = access
    server.extensions["citybrain_gate"] = _Gate(runtime, access, callback_screens,
                                                chart_screens)
    server.config.update(
        SECRET_KEY=settings.secret_key or access.secret_key(),
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        # the cookie may live as long as a kiosk's sign-in; each sign-in's own end is kept
        # in the access file (USER_HOURS, KIOSK_DAYS) and checked on every request
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=KIOSK_DAYS),
        # the wall runs for days on one page: a token is good for the session, not an hour
        WTF_CSRF_TIME_LIMIT=None, WTF_CSRF_HEADERS=["X-CSRFToken"])
    CSRFProtect(server)
    flask_login.LoginManager(server).user_loader(_load_user)
    runtime.principal_of = principal
    runtime.audit = lambda action, detail="": audit(action, detail)
    server.register_blueprint(blueprint)
    # sign-in attempts per address, shared by the workers through Redis when there is one
    limit_view(server, settings, "auth.login", settings.login_rate, _address,
               methods=["POST"], exempt_when=_trusted)
    # first of all: who asks decides what else runs (an anonymous malformed callback is a
    # 401, not a 400, and the store is not even checked for a reload)
    server.before_request_funcs.setdefault(None, []).insert(0, _check_request)


def _gate() -> _Gate:
    return flask.current_app.extensions["citybrain_gate"]


def _load_user(user_id: str) -> "_User | None":
    """The user of a session cookie's id, read on every request: a disabled user, a revoked
    token, an ended or expired sign-in is out at once."""
    gate = _gate()
    kind, _, rest = user_id.partition(":")
    key, _, session_id = rest.rpartition(":")
    if not gate.access.session_open(session_id):
        return None
    found = (gate.access.user(key) if kind == "u" else
             gate.access.kiosk(token_id=int(key)) if kind == "k" and key.isdigit() else None)
    if found is None or (found.demo and not gate.runtime.is_demo):
        return None
    return _User(found, session_id)


def _start_session(found: Principal, hours: float) -> None:
    flask.session.clear()      # nothing from before the sign-in carries over
    flask_login.login_user(_User(found, _gate().access.start_session(found.name, hours)))
    flask.session.permanent = True


def _refuse(status: int, zh: str, en: str) -> flask.Response:
    if _wants_html():
        return flask.Response(_page(f"{zh}<br><small>{en}</small>", ""), status=status,
                              mimetype="text/html")
    return flask.Response(en, status=status, mimetype="text/plain")


def _audit_refusal(status: int, reason: str) -> None:
    """Write a refusal to the audit log: who asked, for what, why."""
    _gate().access.audit(_who(), "refused", what(status=status, path=flask.request.path,
                                                 reason=reason), _address())


def _check_request():
    """The gate before every request: a kiosk link signs a display in, public paths pass, the
    rest needs a signed-in user with the permissions of what it asks for."""
    gate = _gate()
    if gate.runtime.settings.secret_key is None:
        # rotated by `citybrain secret rotate` in another process: every worker signs with
        # the new key from its next request on
        flask.current_app.secret_key = gate.access.secret_key()
    path = flask.request.path
    token = flask.request.args.get("kiosk") if path == "/wall" else None
    if token is not None and not flask_login.current_user.is_authenticated:
        # a kiosk link opens a display's sign-in; it never replaces a user's own
        found = gate.access.kiosk(token=token)
        if found is None:
            _audit_refusal(403, "kiosk token")
            return _refuse(403, "这块屏幕的访问令牌无效或已被撤销。",
                           "This display's token is unknown or was revoked.")
        _start_session(found, KIOSK_DAYS * 24)
        gate.access.audit(found.name, "kiosk", what(path=path), _address())
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_FOLDERS):
        return None
    user = flask_login.current_user
    if not user.is_authenticated:
        if flask.request.method == "GET" and _wants_html():
            return flask.redirect("/login?" + urlencode({"next": _here()}))
        _audit_refusal(401, "not signed in")
        return _refuse(401, "请先登录。", "Sign in first.")
    needed = required(path, gate.callback_screens, gate.chart_screens)
    if needed and not all(user.principal.may(p) for p in needed):
        _audit_refusal(403, f"needs {','.join(needed)}")
        return _refuse(403, "您的角色无权访问此内容。",
                       f"Your role ({user.principal.role}) may not open this.")
    return None


@blueprint.after_app_request
def _set_csrf_cookie(response):
    # Dash's renderer sends this cookie's value as X-CSRFToken with every callback
    if response.mimetype == "text/html" and flask.request.method == "GET":
        response.set_cookie(CSRF_COOKIE, generate_csrf(), samesite="Strict",
                            secure=flask.request.is_secure)
    return response


@blueprint.app_errorhandler(CSRFError)
def _csrf_refused(error):
    _audit_refusal(400, "CSRF")
    return _refuse(400, "请求缺少有效的安全令牌，请刷新页面。",
                   f"Refused: {error.description} Reload the page.")


def _trusted() -> bool:
    """From a network an administrator may always sign in from (CITYBRAIN_ADMIN_NETWORKS):
    neither the per-address limit nor the lock-out applies."""
    return from_admin_network(_gate().runtime.settings)


@blueprint.app_errorhandler(RateLimitExceeded)
def _too_many(error):
    _audit_refusal(429, "sign-in rate")
    return flask.Response(_login_form(
        "/", _message(SignIn(None, "rate")), [], _gate().runtime.city_name("zh"), False),
        status=429, mimetype="text/html",
        headers={"Retry-After": str(error.limit.limit.get_expiry())})   # the rate's window


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form, and a sign-in (limited per address by ``install``)."""
    gate = _gate()
    runtime, access = gate.runtime, gate.access
    target = _safe_next(flask.request.values.get("next"))
    message, name = "", ""
    if flask.request.method == "POST":
        name = flask.request.form.get("username", "")[:64]
        outcome = access.sign_in(name, flask.request.form.get("password", ""), _address(),
                                 demo_allowed=runtime.is_demo, trusted=_trusted())
        if outcome.principal is not None:
            _start_session(outcome.principal, USER_HOURS)
            return flask.redirect(target)
        message = _message(outcome)
    demo = access.demo_accounts() if runtime.is_demo else []
    body = _login_form(target, message, demo, runtime.city_name("zh"),
                       not access.has_users(), name)
    return flask.Response(body, mimetype="text/html")


@blueprint.route("/logout", methods=["POST"])     # a form with its CSRF token
def logout():
    user = flask_login.current_user
    if user.is_authenticated:
        _gate().access.end_session(user.session_id)
        _gate().access.audit(user.principal.name, "logout", "", _address())
    flask_login.logout_user()
    flask.session.clear()
    # back where the user was after signing in again (the phone view, not the desktop)
    target = _safe_next(flask.request.form.get("next"))
    return flask.redirect("/login" if target == "/" else "/login?" + urlencode({"next": target}))


def required(path: str, callback_screens: dict, chart_screens: dict) -> tuple[str, ...]:
    """The permissions a request to ``path`` needs beyond signing in."""
    if path.endswith("/_dash-update-component") and flask.request.method == "POST":
        body = flask.request.get_json(silent=True)
        output = body.get("output") if isinstance(body, dict) else None
        screen = callback_screens.get(output) if isinstance(output, str) else None
        return (screen,) if screen else ()
    if path.startswith("/export/chart/"):
        chart = path.removeprefix("/export/chart/").rsplit(".", 1)[0]
        return ("export", chart_screens.get(chart, "export"))
    if path.startswith("/download/events."):
        return ("download", "events")
    if path.startswith("/download/tasks."):
        return ("download", "tasks")
    if path.startswith("/report/"):
        return ("report",)
    return ()


def csrf_token() -> str:
    """The CSRF token for a form on a page (empty without sign-in)."""
    return generate_csrf() if _installed() is not None else ""


def audit(action: str, detail: str = "") -> None:
    """Write who did ``action`` now (exports, downloads, reports, uploads) to the audit log;
    nothing when login is off."""
    access = _installed()
    if access is not None:
        access.audit(principal().name, action, detail, _address())


def _address() -> str:
    return flask.request.remote_addr or ""


def _who() -> str:
    user = flask_login.current_user
    return user.principal.name if user and user.is_authenticated else ""


def from_admin_network(settings) -> bool:
    """Whether the request comes from one of ``settings.admin_networks``
    (CITYBRAIN_ADMIN_NETWORKS): sign-in's limits spare it, /healthz tells it its details."""
    try:
        ip = ipaddress.ip_address(_address())
    except ValueError:
        return False
    return any(ip in network for network in settings.admin_networks)


def _message(outcome: SignIn) -> str:
    """What the sign-in form says after a refusal, in both languages."""
    if outcome.reason == "locked":
        minutes = max(1, round((outcome.until - dt.datetime.now(dt.timezone.utc))
                               .total_seconds() / 60)) if outcome.until else 15
        return (f"失败次数过多，此账户已锁定，请约 {minutes} 分钟后再试，或联系管理员解锁。"
                f"<br><small>Too many failed attempts: this account is locked for about "
                f"{minutes} minutes, or until an administrator unlocks it.</small>")
    if outcome.reason == "busy":
        return ("登录请求过多，请稍后再试。<br><small>Too many sign-ins at once: try again in "
                "a moment.</small>")
    if outcome.reason == "rate":
        return ("此地址登录尝试过于频繁，请一分钟后再试。<br><small>Too many sign-in attempts "
                "from this address: try again in a minute.</small>")
    return "用户名或密码错误。<br><small>Wrong user name or password.</small>"


def _here() -> str:
    query = flask.request.query_string.decode()
    return flask.request.path + (f"?{query}" if query else "")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in target)):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _wants_html() -> bool:
    best = flask.request.accept_mimetypes.best_match(["text/html", "application/json",
                                                      "text/plain"])
    return best == "text/html" and not flask.request.path.startswith("/_dash")


_STYLE = """
@font-face { font-family: "CityBrain Sans"; src: url(/fonts/citybrain-sans-400.woff2); }
body { margin: 0; min-height: 100vh; display: flex; align-items: center;
  justify-content: center; background: #0b1426; color: #e6edf7;
  font: 18px "CityBrain Sans", "Noto Sans CJK SC", sans-serif; }
main { width: 420px; max-width: calc(100vw - 24px); box-sizing: border-box; padding: 40px;
  background: #101d36; border: 1px solid #24406e; border-radius: 8px; }
@media (max-width: 480px) { main { padding: 24px 18px; } }
h1 { font-size: 28px; margin: 0 0 4px; } h2 { font-size: 16px; font-weight: normal;
  color: #8fa6c8; margin: 0 0 28px; }
label { display: block; margin: 16px 0 6px; color: #8fa6c8; font-size: 15px; }
input { width: 100%; box-sizing: border-box; padding: 10px 12px; font-size: 18px;
  background: #0b1426; color: #e6edf7; border: 1px solid #2c4a7c; border-radius: 4px; }
button { margin-top: 28px; width: 100%; padding: 12px; font-size: 18px; border: 0;
  border-radius: 4px; background: #2f7cf6; color: #fff; cursor: pointer; }
.error { margin-top: 16px; color: #ff6b6b; } .note { margin-top: 24px; color: #8fa6c8;
  font-size: 14px; } code { color: #e6edf7; }
table { margin-top: 8px; border-collapse: collapse; font-size: 14px; }
td { padding: 2px 12px 2px 0; }
"""


def _page(content: str, title: str) -> str:
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title or '城市大脑 City Brain'}</title><style>{_STYLE}</style></head>"
            f"<body><main>{content}</main></body></html>")


def _login_form(target: str, message: str, demo: list[dict], city: str,
                no_users: bool, name: str = "") -> str:
    e = html.escape
    rows = "".join(f"<tr><td><code>{e(a['name'])}</code></td><td>{e(a['role'])}</td></tr>"
                   for a in demo)
    demo_note = (f'<div class="note">演示城市账户（密码 <code>{e(_demo_password())}</code>）'
                 f"<br>Demo city accounts (password as shown)<table>{rows}</table></div>"
                 if demo else "")
    setup = ('<div class="note">尚无用户。在服务器上创建：<br><code>citybrain users add NAME '
             "--role admin</code><br>No users yet: create one on the server.</div>"
             if no_users and not demo else "")
    return _page(f"""
<h1>{e(city)} · 城市大脑</h1><h2>登录 Sign in</h2>
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{e(generate_csrf())}">
<input type="hidden" name="next" value="{e(target)}">
<label for="username">用户名 User name</label>
<input id="username" name="username" autocomplete="username" value="{e(name)}"
 {'' if name else 'autofocus'} required>
<label for="password">密码 Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"
 {'autofocus' if name else ''} required>
<button type="submit">登录 Sign in</button>
{f'<div class="error">{message}</div>' if message else ''}
</form>{demo_note}{setup}""", "登录 · 城市大脑")


def _demo_password() -> str:
    from data.access import DEMO_PASSWORD
    return DEMO_PASSWORD
