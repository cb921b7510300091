"""The campaign file: a strict schema (YAML or JSON) with one-line errors naming the field.

A campaign is either written by hand or started from a saved plan (``plan: <plan_id>``: the plan's
creators become placements unless ``placements`` lists them). Tracking rules say what marks a post
as part of the campaign: hashtags, mentions, links and promo codes (language-neutral), brand and
product keywords per language (``"*"`` = every language), and competitor brands. A placement may
carry its own promo code and tracking link: sales are attributed through them.

>>> spec = parse_spec({"name": "Solara summer", "brand": "Solara", "start": "2026-11-01", "plan": "p1",
...                    "tracking": {"hashtags": ["#SolaraSummer"], "keywords": {"pt": ["protetor solar"]}}})
>>> spec.tracking.hashtags, spec.start.isoformat()
(['solarasummer'], '2026-11-01')
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from microscout.brief import (
    CreatorRef,
    Currency,
    Deliverable,
    NonEmptyStr,
    _check_country,
    _describe,
    _fail,
    _parse_json,
    _parse_yaml,
)
from microscout.errors import InvalidInputError

__all__ = ["CampaignSpec", "PlacementSpec", "TrackingSpec", "load_spec", "parse_spec"]


def _norm_tag(value: str) -> str:
    tag = value.strip().lstrip("#").lower()
    if not tag or any(c.isspace() for c in tag):
        raise _fail(f"{value!r} is not a hashtag (one word, with or without '#')")
    return tag


def _norm_mention(value: str) -> str:
    handle = value.strip().lstrip("@").lower()
    if not handle or any(c.isspace() for c in handle):
        raise _fail(f"{value!r} is not a handle (one word, with or without '@')")
    return handle


def _norm_link(value: str) -> str:
    link = value.strip().lower()
    for prefix in ("https://", "http://", "www."):
        link = link.removeprefix(prefix)
    if not link or " " in link or "." not in link:
        raise _fail(f"{value!r} is not a link (e.g. solara.example/summer)")
    return link.rstrip("/")


def _norm_code(value: str) -> str:
    code = value.strip().upper()
    if not code or any(c.isspace() for c in code):
        raise _fail(f"{value!r} is not a promo code (one word)")
    return code


def _norm_phrase(value: str) -> str:
    phrase = " ".join(value.split()).lower()
    if len(phrase) < 2:
        raise _fail(f"{value!r} is too short to match (at least 2 characters)")
    return phrase


Tag = Annotated[str, AfterValidator(_norm_tag)]
Mention = Annotated[str, AfterValidator(_norm_mention)]
Link = Annotated[str, AfterValidator(_norm_link)]
Code = Annotated[str, AfterValidator(_norm_code)]
Phrase = Annotated[str, AfterValidator(_norm_phrase)]
Country = Annotated[str, AfterValidator(_check_country)]
Day = Annotated[dt.date, Field(strict=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class TrackingSpec(_Strict):
    """What marks a post as part of the campaign."""

    hashtags: list[Tag] = Field(default_factory=list)
    mentions: list[Mention] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    promo_codes: list[Code] = Field(default_factory=list)
    keywords: dict[str, list[Phrase]] = Field(default_factory=dict)
    competitors: list[NonEmptyStr] = Field(default_factory=list)
    code_prefix: Code | None = None  # every placement gets the promo code <PREFIX>-<HANDLE>

    @field_validator("keywords")
    @classmethod
    def _languages(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from microscout.brief import ISO_LANGUAGES

        for lang in value:
            if lang != "*" and lang not in ISO_LANGUAGES:
                raise _fail(f"{lang!r} is not an ISO 639-1 language code or '*'")
        return value

    def is_empty(self) -> bool:
        return not (
            self.hashtags or self.mentions or self.links or self.promo_codes or self.keywords or self.code_prefix
        )


class PlacementSpec(_Strict):
    """A creator booked for the campaign."""

    creator: CreatorRef
    market: Country
    deliverables: list[Deliverable] = Field(min_length=1)
    fee: Decimal = Field(strict=False, ge=0)
    due: Day | None = None
    promo_code: Code | None = None
    link: Link | None = None

    @field_validator("fee", mode="before")
    @classmethod
    def _fee(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise _fail(f"expected a number, got {type(value).__name__}")
        return value


class CampaignSpec(_Strict):
    """A campaign: name, brand, dates, placements (or a plan) and tracking rules."""

    name: NonEmptyStr
    brand: NonEmptyStr
    plan: str | None = None
    start: Day
    end: Day | None = None
    due: Day | None = None
    currency: Currency | None = None
    budget: Decimal | None = Field(default=None, strict=False, ge=0)
    markets: list[Country] = Field(default_factory=list)
    tracking: TrackingSpec = Field(default_factory=TrackingSpec)
    placements: list[PlacementSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates(self) -> CampaignSpec:
        if self.end is not None and self.end < self.start:
            raise _fail(f"end ({self.end}) is before start ({self.start})")
        for k, p in enumerate(self.placements):
            if p.due is not None and p.due < self.start:
                raise _fail(f"placements[{k}].due ({p.due}) is before the campaign start ({self.start})")
        if not self.plan and not self.placements:
            raise _fail("give placements, or plan: <plan_id> to book a saved plan's creators")
        return self


def parse_spec(data: Any, source: str = "campaign") -> CampaignSpec:
    """Validate ``data`` (parsed YAML/JSON) as a :class:`CampaignSpec`; one-line errors."""
    if not isinstance(data, dict):
        raise InvalidInputError(f"{source}: expected a mapping of fields at the top level")
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {_describe(error, CampaignSpec)}" for error in exc.errors()]
        error = InvalidInputError(lines[0])
        error.errors = lines
        raise error from exc


def load_spec(path: str | Path) -> CampaignSpec:
    """Read a campaign file (``.yaml``, ``.yml`` or ``.json``) and validate it."""
    path = Path(path)
    source = str(path)
    if path.suffix.lower() not in {".yaml", ".yml", ".json"}:
        raise InvalidInputError(f"{source}: unsupported file type {path.suffix or '(none)'!r}; use .yaml or .json")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInputError(f"{source}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{source}: cannot read the file ({exc})") from None
    # the brief's parsers: duplicate keys refused, errors name the line (BriefError is an InvalidInputError)
    data = _parse_json(text, source) if path.suffix.lower() == ".json" else _parse_yaml(text, source)
    if data is None:
        raise InvalidInputError(f"{source}: the file is empty")
    return parse_spec(data, source)
