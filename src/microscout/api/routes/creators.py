"""``/creators``: filtered search with paging, the creator detail and the vetting card.

Creators are public data (shared by the installation); notes shown with them are the asking
workspace's only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, TypeVar, get_origin

from fastapi import APIRouter, Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from microscout.api.deps import StateDep, StoreDep, Viewer
from microscout.api.models import CreatorDetail, CreatorQuery, CreatorRef, CreatorsPage, VetCard
from microscout.api.routes import ERRORS
from microscout.api.state import AppState
from microscout.discovery import CreatorFilters, creator_page
from microscout.store import Store
from microscout.workspace import list_notes

router = APIRouter(prefix="/creators", tags=["creators"], responses=ERRORS)

RefPath = Annotated[CreatorRef, Path(description="platform:handle, e.g. instagram:ana.fit")]
_VET_MAIN = ("creator", "verdict", "threshold", "aqs", "aqs_low", "aqs_high", "reasons", "checks")


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI query parameters of a query model (lists repeat the name: ``?platform=a&platform=b``)."""
    params = []
    for name, prop in model.model_json_schema()["properties"].items():
        schema = dict(prop)
        options = [s for s in schema.pop("anyOf", []) if s.get("type") != "null"]
        if options:
            schema.update(options[0])
        schema.pop("title", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
        if "description" in schema:
            param["description"] = schema.pop("description")
        if schema.get("type") == "array":
            param |= {"style": "form", "explode": True}
        params.append(param)
    return params


M = TypeVar("M", bound=BaseModel)


def parse_query(model: type[M], items: Iterable[tuple[str, str]], *, skip_empty: bool = False) -> M:
    """Validate query-string pairs with ``model`` (parsed by pydantic-core, not per parameter);
    invalid input raises FastAPI's validation error (422, the canonical error shape)."""
    lists = {name for name, f in model.model_fields.items() if get_origin(f.annotation) is list}
    data: dict[str, Any] = {}
    for key, value in items:
        if skip_empty and value == "":
            continue
        if key in lists:
            data.setdefault(key, []).append(value)
        else:
            data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False, include_context=False)]
        ) from exc


def filters_of(query: CreatorQuery) -> CreatorFilters:
    return CreatorFilters(
        platforms=tuple(query.platform),
        tiers=tuple(query.tier),
        followers_min=query.followers_min,
        followers_max=query.followers_max,
        markets=tuple(query.market),
        languages=tuple(query.language),
        niches=tuple(query.niche),
        min_aqs=query.min_aqs,
        min_er_percentile=None if query.min_er_percentile is None else query.min_er_percentile / 100,
        q=query.q,
    )


def search_page(state: AppState, query: CreatorQuery) -> dict[str, Any]:
    """One page of the creator search (the API answer and the discovery page's data)."""
    page = state.search_creators(
        filters_of(query), sort=query.sort, descending=query.order == "desc", limit=query.limit, offset=query.offset
    )
    for row in page.rows:
        row["creator"] = f"{row['platform']}:{row['handle'] or row['creator_id']}"
    return {
        "data": page.rows,
        "count": page.total,
        "limit": query.limit,
        "offset": query.offset,
        "sort": query.sort,
        "order": query.order,
    }


def vet_card(card: dict[str, Any]) -> dict[str, Any]:
    out = {k: card.get(k) for k in _VET_MAIN}
    out["evidence"] = {k: v for k, v in card.items() if k not in _VET_MAIN}
    return out


def detail_data(state: AppState, store: Store, workspace: str, ref: str) -> dict[str, Any]:
    """The creator page's data: profile, vetting, mixes, ER history and this workspace's notes."""
    page = creator_page(store, ref, aqs_threshold=state.settings.aqs_threshold)
    page["vet"] = vet_card(page["vet"])
    page["notes"] = list_notes(store, workspace, platform=page["platform"], creator_id=page["creator_id"])
    return page


@router.get(
    "",
    response_model=CreatorsPage,
    summary="Search creators with filters",
    openapi_extra={"parameters": query_parameters(CreatorQuery)},
)
async def list_creators(request: Request, state: StateDep, principal: Viewer) -> dict[str, Any]:
    query = parse_query(CreatorQuery, request.query_params.multi_items())
    # a search over the in-memory index takes well under a millisecond: run it on the event loop
    if not state.index_ready:
        await run_in_threadpool(state.index)
    return search_page(state, query)


@router.get("/{ref}", response_model=CreatorDetail, summary="A creator: profile, intervals, AQS reasons")
def get_creator(ref: RefPath, state: StateDep, store: StoreDep, principal: Viewer) -> dict[str, Any]:
    return detail_data(state, store, principal.workspace, ref)


@router.get("/{ref}/vet", response_model=VetCard, summary="Vet a creator's audience")
def vet_creator(ref: RefPath, state: StateDep, store: StoreDep, principal: Viewer) -> dict[str, Any]:
    from microscout.authenticity.vet import vet_creator as vet

    return vet_card(vet(store, ref, threshold=state.settings.aqs_threshold))
