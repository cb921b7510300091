"""The pages of the web UI. Each view checks the session (and the role and CSRF token for a form),
calls the same library function as its JSON twin, and renders an autoescaped template."""

from __future__ import annotations

import functools
import json
import re
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import yaml
from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.exceptions import HTTPException

from microscout.accounts import authenticate, has_role
from microscout.api.deps import Principal, StateDep, StoreDep, client_ip, session_principal
from microscout.api.models import CreatorQuery, CreatorRef
from microscout.api.routes.briefs import report_response, reports_of
from microscout.api.routes.creators import detail_data, parse_query, search_page
from microscout.api.routes.ingest import start_ingest
from microscout.api.security import CSRF_COOKIE, SESSION_COOKIE, Sessions, too_many
from microscout.api.state import AppState
from microscout.brief import PLATFORMS, known_niches, parse_brief
from microscout.creators import resolve_creator
from microscout.errors import BriefError
from microscout.reference import load_table
from microscout.web import TEMPLATES
from microscout.web.charts import er_chart, share_bars
from microscout.workspace import (
    add_list_item,
    create_list,
    create_note,
    delete_list,
    delete_note,
    get_list,
    get_search,
    list_briefs,
    list_jobs,
    list_lists,
    remove_list_item,
    run_brief_search,
    save_brief,
)

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
_ENV.filters["pct"] = lambda v, d=1: "—" if v is None else f"{100 * float(v):.{d}f}%"
_ENV.filters["num"] = lambda v: "—" if v is None else (f"{v:,.0f}" if isinstance(v, int | float) else str(v))
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
CsrfField = Annotated[str, Form(max_length=200)]


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


async def login_redirect(request: Request, exc: Exception) -> Response:
    next_url = exc.next_url if isinstance(exc, LoginRequired) else "/"
    return RedirectResponse(f"/login?next={quote(next_url, safe='/')}", status_code=303)


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.microscout
    return state


def _cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def render(
    request: Request, name: str, *, principal: Principal | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render template ``name`` with the CSRF token of this browser (set its nonce cookie if new)."""
    state = _state(request)
    nonce = request.cookies.get(CSRF_COOKIE)
    fresh = not nonce
    if not nonce:
        nonce = Sessions.new_nonce()
    html = _ENV.get_template(name).render(
        request=request, principal=principal, csrf_token=state.sessions.csrf_token(nonce), **context
    )
    response = HTMLResponse(html, status_code=status)
    if fresh:
        _cookie(response, request, CSRF_COOKIE, nonce)
    return response


def render_error(request: Request, status: int, message: str, errors: list[str]) -> Response:
    return render(request, "error.html", principal=None, status=status, code=status, message=message, errors=errors)


def web_user(request: Request, state: StateDep, store: StoreDep) -> Principal:
    principal = session_principal(request, state, store)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return principal


WebUser = Annotated[Principal, Depends(web_user)]


def _need(principal: Principal, role: str) -> None:
    if not has_role(principal.role, role):
        raise HTTPException(403, f"this needs the {role} role; you have {principal.role}")


def _csrf(request: Request, token: str) -> None:
    if not _state(request).sessions.check_csrf(request.cookies.get(CSRF_COOKIE), token):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


_LOCAL_PATH = re.compile(r"/(?![/\\])[\x21-\x7e]*")  # a path on this site: no scheme, host, blanks


def _safe_next(value: str | None) -> str:
    """Where to go after the login: a local path only (no open redirect)."""
    if value and _LOCAL_PATH.fullmatch(value) and "\\" not in value:
        return value
    return "/discover"


# ------------------------------------------------------------------------------------- login
@router.get("/login")
def login_page(request: Request, state: StateDep, store: StoreDep, next: str = "/discover") -> Response:
    if session_principal(request, state, store) is not None:
        return _back(_safe_next(next))
    return render(request, "login.html", principal=None, next=_safe_next(next), error=None, workspaces=[], email="")


@router.post("/login")
def login(
    request: Request,
    state: StateDep,
    store: StoreDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    workspace: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/discover",
    csrf_token: CsrfField = "",
) -> Response:
    _csrf(request, csrf_token)
    bucket = f"login:{client_ip(request)}"
    if not state.limiter.hit(bucket):
        raise too_many(state.limiter, bucket)
    users = authenticate(store, email, password, workspace=workspace or None) if email and password else []
    context: dict[str, Any] = {"next": _safe_next(next), "email": email, "workspaces": []}
    if not users:
        return render(request, "login.html", principal=None, status=401, error="Wrong email or password.", **context)
    if len(users) > 1:
        context["workspaces"] = [u.workspace for u in users]
        return render(request, "login.html", principal=None, error="Choose a workspace.", **context)
    user = users[0]
    response = _back(_safe_next(next))
    session = state.sessions.dumps(user.workspace, user.user_id)
    _cookie(response, request, SESSION_COOKIE, session, max_age=state.sessions.max_age)
    _cookie(response, request, CSRF_COOKIE, Sessions.new_nonce())  # a new CSRF nonce for the new session
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: CsrfField = "") -> Response:
    _csrf(request, csrf_token)
    response = _back("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/")
def home(principal: WebUser) -> Response:
    return _back("/discover")


# ---------------------------------------------------------------------------------- discover
@functools.cache
def _options(reference_dir: str | None) -> dict[str, list[str]]:
    from pathlib import Path as _Path

    ref = _Path(reference_dir) if reference_dir else None
    return {
        "platforms": list(PLATFORMS),
        "tiers": [r["tier"] for r in load_table("tiers", reference_dir=ref).rows],
        "markets": sorted(r["country"] for r in load_table("markets", reference_dir=ref).rows),
        "niches": list(known_niches(ref)),
    }


@router.get("/discover")
def discover(request: Request, state: StateDep, principal: WebUser) -> Response:
    query = parse_query(CreatorQuery, request.query_params.multi_items(), skip_empty=True)
    result = search_page(state, query)
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "offset" and v != ""]
    pages: dict[str, str | None] = {"prev": None, "next": None}
    if query.offset > 0:
        pages["prev"] = "/discover?" + urlencode([*params, ("offset", max(0, query.offset - query.limit))])
    if query.offset + query.limit < result["count"]:
        pages["next"] = "/discover?" + urlencode([*params, ("offset", query.offset + query.limit)])
    reference = state.settings.reference_dir
    return render(
        request,
        "discover.html",
        principal=principal,
        query=query,
        result=result,
        pages=pages,
        options=_options(str(reference) if reference else None),
        api_url="/api/v1/creators" + (f"?{request.url.query}" if request.url.query else ""),
    )


# ----------------------------------------------------------------------------------- creator
@router.get("/creators/{ref}")
def creator(
    request: Request, ref: Annotated[CreatorRef, Path()], state: StateDep, store: StoreDep, principal: WebUser
) -> Response:
    data = detail_data(state, store, principal.workspace, ref)
    chart = er_chart(data["er_history"], data["benchmark"], data["profile"].get("er_posterior"))
    bars = {k: share_bars(data[k]) for k in ("audience_markets", "content_languages", "audience_languages")}
    bars["market_scores"] = share_bars(data["market_scores"])
    return render(
        request,
        "creator.html",
        principal=principal,
        c=data,
        chart=chart,
        bars=bars,
        lists=list_lists(store, principal.workspace) if has_role(principal.role, "editor") else [],
        api_url=f"/api/v1/creators/{quote(data['creator'], safe=':')}",
    )


@router.post("/creators/{ref}/notes")
def add_note(
    request: Request,
    ref: Annotated[CreatorRef, Path()],
    store: StoreDep,
    principal: WebUser,
    body: Annotated[str, Form(min_length=1, max_length=10_000)],
    csrf_token: CsrfField = "",
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    platform, creator_id = resolve_creator(store, ref)
    create_note(store, principal.workspace, platform=platform, creator_id=creator_id, body=body, author=principal.actor)
    return _back(f"/creators/{quote(ref, safe=':')}")


@router.post("/notes/{note_id}/delete")
def remove_note(
    request: Request,
    note_id: IdPath,
    store: StoreDep,
    principal: WebUser,
    back: Annotated[CreatorRef, Form()],
    csrf_token: CsrfField = "",
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    delete_note(store, principal.workspace, note_id)
    return _back(f"/creators/{quote(back, safe=':')}")


# ------------------------------------------------------------------------- briefs, searches
@router.get("/briefs")
def briefs(request: Request, store: StoreDep, principal: WebUser) -> Response:
    return render(
        request,
        "briefs.html",
        principal=principal,
        briefs=list_briefs(store, principal.workspace),
        text="",
        errors=[],
        api_url="/api/v1/briefs",
    )


@router.post("/briefs")
def post_brief(
    request: Request,
    store: StoreDep,
    state: StateDep,
    principal: WebUser,
    text: Annotated[str, Form(max_length=100_000)] = "",
    csrf_token: CsrfField = "",
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    try:
        data = yaml.safe_load(text) if text.strip() else None
        brief = parse_brief(data, "brief", reference_dir=store.settings.reference_dir)
    except (yaml.YAMLError, BriefError) as exc:
        errors = list(exc.errors) if isinstance(exc, BriefError) else [f"brief: not valid YAML or JSON ({exc})"]
        return render(
            request,
            "briefs.html",
            principal=principal,
            status=400,
            briefs=list_briefs(store, principal.workspace),
            text=text,
            errors=errors,
        )
    saved = save_brief(store, principal.workspace, brief)
    result = run_brief_search(store, principal.workspace, saved["brief_id"], limit=25, index=state.brief_index())
    return _back(f"/searches/{result['search_id']}")


@router.post("/briefs/{brief_id}/search")
def rerun_brief(
    request: Request,
    brief_id: IdPath,
    store: StoreDep,
    state: StateDep,
    principal: WebUser,
    csrf_token: CsrfField = "",
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    result = run_brief_search(store, principal.workspace, brief_id, limit=25, index=state.brief_index())
    return _back(f"/searches/{result['search_id']}")


@router.get("/searches/{search_id}")
def search_view(request: Request, search_id: IdPath, store: StoreDep, principal: WebUser) -> Response:
    search = get_search(store, principal.workspace, search_id)
    return render(
        request,
        "search.html",
        principal=principal,
        search=search,
        api_url=f"/api/v1/searches/{search_id}",
        weights=json.dumps(search["weights"]),
    )


@router.get("/reports")
def reports(request: Request, store: StoreDep, principal: WebUser) -> Response:
    return render(
        request,
        "reports.html",
        principal=principal,
        reports=reports_of(store, principal.workspace),
        api_url="/api/v1/reports",
    )


@router.get("/reports/{search_id}/download")
def report_download(search_id: IdPath, store: StoreDep, principal: WebUser) -> Response:
    return report_response(store, principal.workspace, search_id)


# ------------------------------------------------------------------------------------- lists
@router.get("/lists")
def lists(request: Request, store: StoreDep, principal: WebUser) -> Response:
    return render(
        request,
        "lists.html",
        principal=principal,
        lists=list_lists(store, principal.workspace),
        api_url="/api/v1/lists",
    )


@router.post("/lists")
def post_list(
    request: Request,
    store: StoreDep,
    principal: WebUser,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    description: Annotated[str, Form(max_length=10_000)] = "",
    csrf_token: CsrfField = "",
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    created = create_list(store, principal.workspace, name=name, description=description)
    return _back(f"/lists/{created['list_id']}")


@router.get("/lists/{list_id}")
def list_view(request: Request, list_id: IdPath, store: StoreDep, principal: WebUser) -> Response:
    item = get_list(store, principal.workspace, list_id)
    return render(request, "list.html", principal=principal, item=item, api_url=f"/api/v1/lists/{list_id}")


@router.post("/lists/{list_id}/delete")
def delete_list_view(
    request: Request, list_id: IdPath, store: StoreDep, principal: WebUser, csrf_token: CsrfField = ""
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    delete_list(store, principal.workspace, list_id)
    return _back("/lists")


@router.post("/lists/{list_id}/items")
def add_item(
    request: Request,
    list_id: IdPath,
    store: StoreDep,
    principal: WebUser,
    creator: Annotated[CreatorRef, Form()],
    remove: Annotated[bool, Form()] = False,
    csrf_token: CsrfField = "",
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    get_list(store, principal.workspace, list_id)
    platform, creator_id = resolve_creator(store, creator)
    if remove:
        remove_list_item(store, principal.workspace, list_id, platform=platform, creator_id=creator_id)
    else:
        add_list_item(
            store, principal.workspace, list_id, platform=platform, creator_id=creator_id, added_by=principal.actor
        )
    return _back(f"/lists/{list_id}")


@router.post("/list-items")
def add_to_list(
    request: Request,
    store: StoreDep,
    principal: WebUser,
    list_id: Annotated[str, Form(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
    creator: Annotated[CreatorRef, Form()],
    csrf_token: CsrfField = "",
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    get_list(store, principal.workspace, list_id)
    platform, creator_id = resolve_creator(store, creator)
    add_list_item(
        store, principal.workspace, list_id, platform=platform, creator_id=creator_id, added_by=principal.actor
    )
    return _back(f"/lists/{list_id}")


# ------------------------------------------------------------------------------------ ingest
@router.get("/ingest")
def ingest_page(request: Request, store: StoreDep, principal: WebUser) -> Response:
    jobs = list_jobs(store, principal.workspace, kind="ingest", limit=20)
    return render(request, "ingest.html", principal=principal, jobs=jobs, api_url="/api/v1/ingest-jobs")


@router.post("/ingest")
def ingest_upload(
    request: Request,
    state: StateDep,
    principal: WebUser,
    file: Annotated[UploadFile, File()],
    profile: Annotated[bool, Form()] = False,
    csrf_token: CsrfField = "",
) -> Response:
    _csrf(request, csrf_token)
    _need(principal, "editor")
    start_ingest(state, principal.workspace, file, profile=profile)
    return _back("/ingest")
