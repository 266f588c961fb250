"""The local issuer's OAuth 2.0 endpoints, those of the Cognito hosted UI: the console signs in the same way everywhere.

`GET /oauth2/authorize` (response_type=code, an S256 code_challenge, a redirect_uri on forge dev's own origin) shows
the local sign-in form, where the person picks a tenant and role (or platform admin); its POST redirects to the
redirect_uri with a one-time code and the client's state. `POST /oauth2/token` exchanges the code, once and within
`CODE_TTL_SECONDS`, for an ID token when the code_verifier hashes to the challenge (RFC 7636), as Cognito does.
Errors of the token endpoint carry RFC 6749's `error` and `error_description` inside an RFC 9457 problem.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
import time
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from devserver.issuer import AUTHORIZE_PATH, DEFAULT_TOKEN_TTL_SECONDS, TOKEN_PATH, LocalIssuer
from shared.access import Role
from shared.problems import PROBLEM_CONTENT_TYPE, problem_type
from shared.settings import get_settings

CODE_TTL_SECONDS = 300
# RFC 7636 §4.1: 43 to 128 unreserved characters; an S256 challenge is 43 base64url characters.
VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
AUTHORIZE_PARAMS = ("client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope")
FORM_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
}


class LocalSignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.@:-]+$")]
    tenant_id: Annotated[str | None, Field(max_length=64)] = None
    role: Role = Role.OWNER
    platform_admin: bool = False

    @model_validator(mode="after")
    def _tenant_or_platform(self) -> LocalSignIn:
        if self.platform_admin == (self.tenant_id is not None):
            raise ValueError("give either a tenant id (with a role) or platform admin")
        return self


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class PendingCode(BaseModel):
    client_id: str
    redirect_uri: str
    code_challenge: str
    sign_in: LocalSignIn
    # Wall-clock seconds: the code may be redeemed by another of `forge dev`'s API worker processes.
    expires_at: float


class PendingCodes:
    """Codes waiting for their token request, one file each under the issuer's folder: `forge dev`'s API workers are
    separate processes, and the token request may reach another worker than the sign-in did. A code is redeemed by
    the one request whose unlink of its file succeeds, so it works once even when two arrive together."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def put(self, code: str, pending: PendingCode) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        self._forget_expired()
        path = self._path(code)
        path.with_suffix(".tmp").write_text(pending.model_dump_json())
        path.with_suffix(".tmp").replace(path)

    def take(self, code: str) -> PendingCode | None:
        path = self._path(code)
        try:
            pending = PendingCode.model_validate_json(path.read_text())
            path.unlink()
        except (FileNotFoundError, ValidationError):
            return None
        return pending if pending.expires_at >= time.time() else None

    def _path(self, code: str) -> Path:
        # The file is named by the code's hash: the code itself is a secret until it is redeemed.
        return self._directory / f"{hashlib.sha256(code.encode()).hexdigest()}.json"

    def _forget_expired(self) -> None:
        for path in self._directory.glob("*.json"):
            with suppress(FileNotFoundError, ValueError):
                if PendingCode.model_validate_json(path.read_text()).expires_at < time.time():
                    path.unlink()


class AuthorizeRefused(Exception):
    """A request the authorize page answers with an error page instead of redirecting (RFC 6749 §4.1.2.1)."""


class LocalAuthorizationServer:
    def __init__(self, issuer: LocalIssuer) -> None:
        self.issuer = issuer
        self._codes = PendingCodes(issuer.directory / "pending-codes")

    @property
    def client_id(self) -> str:
        """The console's client id: the audience of the local issuer's tokens, as Cognito's is its app client id."""
        return get_settings().auth_audience

    async def handle(self, request: Request) -> Response:
        if request.url.path == AUTHORIZE_PATH and request.method == "GET":
            return self._authorize_page(request, dict(request.query_params))
        if request.url.path == AUTHORIZE_PATH and request.method == "POST":
            return self._authorize(request, await _form(request))
        if request.url.path == TOKEN_PATH and request.method == "POST":
            return self._token(await _form(request))
        return _token_error("invalid_request", f"{request.method} {request.url.path} is not an OAuth endpoint", 405)

    def _checked(self, request: Request, params: dict[str, str]) -> dict[str, str]:
        redirect_uri = params.get("redirect_uri", "")
        own_origin = urlsplit(str(request.base_url))
        target = urlsplit(redirect_uri)
        if params.get("client_id") != self.client_id:
            raise AuthorizeRefused(f"client_id must be {self.client_id!r}, the console's client")
        if (target.scheme, target.netloc) != (own_origin.scheme, own_origin.netloc):
            raise AuthorizeRefused(f"redirect_uri must be on this origin ({own_origin.scheme}://{own_origin.netloc})")
        if params.get("response_type", "code") != "code":
            raise AuthorizeRefused("response_type must be code: the authorization code flow only")
        if params.get("code_challenge_method") != "S256" or not CHALLENGE.match(params.get("code_challenge", "")):
            raise AuthorizeRefused("a code_challenge (S256, 43 base64url characters) is required: PKCE only")
        return {name: params.get(name, "") for name in AUTHORIZE_PARAMS}

    def _authorize_page(self, request: Request, params: dict[str, str], problem: str | None = None) -> Response:
        try:
            checked = self._checked(request, params)
        except AuthorizeRefused as refused:
            return HTMLResponse(_page(f"<p role='alert'>{html.escape(str(refused))}</p>"), 400, FORM_HEADERS)
        return HTMLResponse(_sign_in_form(checked, params, problem), 400 if problem else 200, FORM_HEADERS)

    def _authorize(self, request: Request, form: dict[str, str]) -> Response:
        try:
            checked = self._checked(request, form)
        except AuthorizeRefused as refused:
            return HTMLResponse(_page(f"<p role='alert'>{html.escape(str(refused))}</p>"), 400, FORM_HEADERS)
        platform_admin = form.get("platform_admin") == "on"
        try:
            sign_in = LocalSignIn.model_validate(
                {
                    "subject": form.get("subject", ""),
                    "tenant_id": None if platform_admin else form.get("tenant_id") or None,
                    "role": form.get("role", "owner"),
                    "platform_admin": platform_admin,
                }
            )
        except ValidationError as error:
            reasons = "; ".join(
                f"{'.'.join(map(str, issue['loc'])) or 'form'}: {issue['msg']}" for issue in error.errors()
            )
            return self._authorize_page(request, form, reasons)
        code = secrets.token_urlsafe(32)
        self._codes.put(
            code,
            PendingCode(
                client_id=checked["client_id"],
                redirect_uri=checked["redirect_uri"],
                code_challenge=checked["code_challenge"],
                sign_in=sign_in,
                expires_at=time.time() + CODE_TTL_SECONDS,
            ),
        )
        answer = {"code": code, **({"state": checked["state"]} if checked["state"] else {})}
        return RedirectResponse(f"{checked['redirect_uri']}?{urlencode(answer)}", 302, headers=FORM_HEADERS)

    def _token(self, form: dict[str, str]) -> Response:
        if form.get("grant_type") != "authorization_code":
            return _token_error("unsupported_grant_type", "grant_type must be authorization_code")
        pending = self._codes.take(form.get("code", ""))  # one use, whatever the outcome
        if pending is None:
            return _token_error("invalid_grant", "the code is unknown, used or expired")
        if form.get("client_id") != pending.client_id or form.get("redirect_uri") != pending.redirect_uri:
            return _token_error("invalid_grant", "client_id and redirect_uri must be those of the authorize request")
        verifier = form.get("code_verifier", "")
        if not VERIFIER.match(verifier) or not hmac.compare_digest(s256(verifier), pending.code_challenge):
            return _token_error("invalid_grant", "the code_verifier does not match the code_challenge")
        sign_in = pending.sign_in
        token = self.issuer.mint(
            sign_in.subject,
            tenant_id=sign_in.tenant_id,
            role=None if sign_in.platform_admin else sign_in.role,
            platform_admin=sign_in.platform_admin,
        )
        answer = {
            "id_token": token,
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": DEFAULT_TOKEN_TTL_SECONDS,
        }
        return JSONResponse(answer, headers={"cache-control": "no-store", "pragma": "no-cache"})


async def _form(request: Request) -> dict[str, str]:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    return dict(parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True))


def _token_error(error: str, description: str, status: int = 400) -> Response:
    body: dict[str, Any] = {
        "type": problem_type(f"oauth-{error.replace('_', '-')}"),
        "title": "The token request was refused",
        "status": status,
        "detail": description,
        "error": error,
        "error_description": description,
    }
    return JSONResponse(body, status, media_type=PROBLEM_CONTENT_TYPE, headers={"cache-control": "no-store"})


def _page(body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Sign in · Nexus Forge</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><style>"
        "body{font-family:system-ui,sans-serif;background:#f3f4f6;color:#111827}"
        "main{max-width:420px;margin:40px auto;background:#fff;padding:24px;border-radius:8px}"
        "form{display:flex;flex-direction:column;gap:10px}label{display:flex;flex-direction:column;gap:4px}"
        "label.inline{flex-direction:row;align-items:center}[role=alert]{color:#b91c1c}.muted{color:#4b5563}"
        f"</style></head><body><main>{body}</main></body></html>"
    )


def _sign_in_form(checked: dict[str, str], entered: dict[str, str], problem: str | None) -> str:
    hidden = "".join(
        f"<input type='hidden' name='{name}' value='{html.escape(value, quote=True)}'>"
        for name, value in checked.items()
    )
    role = entered.get("role", "owner")
    options = "".join(
        f"<option value='{value}'{' selected' if value == role else ''}>{value}</option>"
        for value in ("owner", "admin", "editor", "viewer")
    )

    def value_of(name: str) -> str:
        return html.escape(entered.get(name, ""), quote=True)

    alert = f"<div role='alert'>{html.escape(problem)}</div>" if problem else ""
    admin = " checked" if entered.get("platform_admin") == "on" else ""
    return _page(
        "<h1>Sign in to Nexus Forge</h1><p class='muted'>Local sign-in of forge dev: the token is minted by its issuer "
        "for the tenant and role you choose (in the cloud, the Cognito hosted UI asks for a password and MFA).</p>"
        f"{alert}<form method='post' action='{AUTHORIZE_PATH}'>{hidden}"
        f"<label>User (subject)<input name='subject' required value='{value_of('subject')}'></label>"
        f"<label class='inline'><input type='checkbox' name='platform_admin'{admin}> Platform admin</label>"
        f"<label>Tenant id<input name='tenant_id' value='{value_of('tenant_id')}' "
        "aria-describedby='tenant-help'></label><span id='tenant-help' class='muted'>Not for a platform admin.</span>"
        f"<label>Role<select name='role'>{options}</select></label>"
        "<button type='submit'>Sign in</button></form>"
    )
