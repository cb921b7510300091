"""Request and response models of the REST API.

Request bodies are strict (``"5"`` is not an integer, ``false`` is not a number, unknown fields
are refused). Query strings are text by nature, so query models convert text to numbers, and
nothing else.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from microscout.accounts import ROLES
from microscout.brief import Brief
from microscout.discovery import SORTS

Role = Literal["viewer", "editor", "admin"]
assert set(Role.__args__) == set(ROLES)  # type: ignore[attr-defined]
Platform = Literal["instagram", "tiktok", "youtube", "x", "bluesky", "mastodon"]
SortName = Literal["er_percentile", "er", "followers", "aqs", "handle"]
assert set(SortName.__args__) == set(SORTS)  # type: ignore[attr-defined]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
CreatorRef = Annotated[str, StringConstraints(min_length=3, max_length=300, pattern=r"^[a-z]+:[^\s/]+$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _utc(value: dt.datetime) -> dt.datetime:
    """The store keeps naive UTC; the API says so (RFC 3339 with Z)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


Timestamp = Annotated[dt.datetime, AfterValidator(_utc)]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(strict=True)


class ErrorBody(Out):
    ok: Literal[False]
    error: str
    errors: list[str]
    status: int


class Health(Out):
    ok: bool
    version: str
    schema_version: int


class Me(Out):
    workspace: str
    role: Role
    actor: str
    kind: Literal["key", "session"]


# ------------------------------------------------------------------------------- creators
class CreatorQuery(BaseModel):
    """Filters and paging of the creator search (query string)."""

    model_config = ConfigDict(extra="forbid")

    platform: list[Platform] = Field(default_factory=list, max_length=6, description="Any of these platforms.")
    tier: list[Slug] = Field(default_factory=list, max_length=10, description="Any of these tiers (nano, micro…).")
    followers_min: int | None = Field(None, ge=0, le=10**10)
    followers_max: int | None = Field(None, ge=0, le=10**10)
    market: list[Country] = Field(
        default_factory=list, max_length=50, description="Home market (inferred, else declared country)."
    )
    language: list[LanguageCode] = Field(
        default_factory=list, max_length=50, description="Main content language (else declared)."
    )
    niche: list[Slug] = Field(default_factory=list, max_length=30, description="Any of these niches.")
    min_aqs: float | None = Field(None, ge=0, le=100, description="Audience Quality Score at least this.")
    min_er_percentile: float | None = Field(
        None, ge=0, le=100, description="Posterior ER percentile among platform × tier peers, 0–100."
    )
    q: str | None = Field(None, min_length=1, max_length=100, description="Part of the handle or display name.")
    sort: SortName = "er_percentile"
    order: Literal["desc", "asc"] = "desc"
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class CreatorRow(Out):
    platform: str
    creator_id: str
    handle: str | None
    creator: str
    display_name: str | None
    declared_country: str | None
    declared_language: str | None
    verified: bool | None
    followers: int | None
    tier: str | None
    er_followers: float | None
    er_posterior: float | None
    er_low: float | None
    er_high: float | None
    er_posterior_percentile: float | None
    peer_count: int | None
    aqs: float | None
    aqs_low: float | None
    aqs_high: float | None
    market: str | None
    language: str | None
    niches: list[str]


class CreatorsPage(Out):
    data: list[CreatorRow]
    count: int
    limit: int
    offset: int
    sort: str
    order: str


class Share(Out):
    key: str
    share: float


class ErPoint(Out):
    post_id: str
    published_at: Timestamp | None
    kind: str | None
    likes: int | None
    comments: int | None
    er: float | None


class Benchmark(Out):
    low: float | None
    high: float | None
    position: str | None
    source: str | None
    tier: str | None


class PostText(Out):
    post_id: str
    published_at: Timestamp | None
    kind: str | None
    caption: str
    url: str | None


class CommentText(Out):
    comment_id: str
    published_at: Timestamp | None
    author: str | None
    text: str


class Check(Out):
    check: str
    title: str
    points: float | None


class VetCard(Out):
    creator: str
    verdict: str
    threshold: float
    aqs: float | None
    aqs_low: float | None
    aqs_high: float | None
    reasons: list[str]
    checks: list[Check]
    evidence: dict[str, Any]


class NotePublic(Out):
    note_id: str
    platform: str
    creator_id: str
    author: str | None
    body: str
    tags: list[str]
    created_at: Timestamp | None


class CreatorDetail(Out):
    creator: str
    platform: str
    creator_id: str
    handle: str
    bio: str | None
    profile_url: str | None
    verified: bool | None
    profile: dict[str, Any]
    vet: VetCard
    er_history: list[ErPoint]
    benchmark: Benchmark
    home_market: str | None
    content_language: str | None
    niches: list[str]
    audience_markets: list[Share]
    market_scores: list[Share]
    content_languages: list[Share]
    audience_languages: list[Share]
    recent_posts: list[PostText]
    recent_comments: list[CommentText]
    notes: list[NotePublic]


# --------------------------------------------------------------------------- briefs, searches
class BriefCreate(Strict):
    brief: Brief


class BriefPublic(Out):
    brief_id: str
    name: str | None
    brand: str | None
    brief: dict[str, Any]
    created_at: Timestamp | None


class SearchCreate(Strict):
    limit: int = Field(25, ge=1, le=200)


class Component(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    name: str
    value: float | None
    weight: float | None = None
    effective_weight: float | None = None
    contribution: float | None = None
    reason: str = ""


class SearchRow(Out):
    rank: int | None
    platform: str
    creator_id: str
    creator: str
    handle: str | None
    display_name: str | None
    country: str | None
    language: str | None
    tier: str | None
    followers: int | None
    er: float | None
    er_low: float | None
    er_high: float | None
    score: float | None
    components: list[Component]
    flags: list[str]


class SearchPublic(Out):
    search_id: str
    brief_id: str | None
    created_at: Timestamp | None = None
    weights: dict[str, float]
    notes: list[str] = Field(default_factory=list)
    candidates: int | None = None
    results: list[SearchRow]


class SearchSummary(Out):
    search_id: str
    brief_id: str | None
    brand: str | None
    created_at: Timestamp | None
    results: int


class ReportPublic(Out):
    search_id: str
    brand: str | None
    created_at: Timestamp | None
    results: int
    format: Literal["html"]
    download_url: str


# ------------------------------------------------------------------------------ lists, notes
class ListCreate(Strict):
    name: Name
    description: Annotated[str, StringConstraints(max_length=10_000)] | None = None


class ListItemCreate(Strict):
    creator: CreatorRef


class ListItem(Out):
    platform: str
    creator_id: str
    creator: str
    display_name: str | None
    followers: int | None
    added_at: Timestamp | None
    added_by: str | None


class ListSummary(Out):
    list_id: str
    name: str
    description: str | None
    created_at: Timestamp | None
    items: int


class ListPublic(Out):
    list_id: str
    name: str
    description: str | None
    created_at: Timestamp | None
    items: list[ListItem]


class NoteCreate(Strict):
    creator: CreatorRef
    body: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=20
    )


# -------------------------------------------------------------------------------------- jobs
class JobPublic(Out):
    job_id: str
    kind: str
    status: str
    progress: float | None
    result: dict[str, Any] | None
    error: str | None
    created_at: Timestamp | None
    finished_at: Timestamp | None


# ------------------------------------------------------------------------------------- admin
class ApiKeyCreate(Strict):
    name: Name
    role: Role


class ApiKeyPublic(Out):
    key_id: str
    name: str
    role: str
    created_at: Timestamp | None
    revoked_at: Timestamp | None


class ApiKeyCreated(ApiKeyPublic):
    token: str = Field(description="The key itself: shown this once, stored only as a hash.")


class UserCreate(Strict):
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=10, max_length=1024)]
    role: Role
    name: Annotated[str, StringConstraints(max_length=200)] | None = None


class UserPublic(Out):
    user_id: str
    email: str
    name: str | None
    role: str
    created_at: Timestamp | None
