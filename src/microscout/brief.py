"""The campaign brief: a strict schema, loaded from YAML or JSON, with one-line errors.

A brief says what a brand wants: markets (country, languages, allocation), niches,
platforms, deliverables, the follower band, a minimum audience quality, the budget, the KPI,
exclusions and competitors, and optional scoring weights. Every field is validated strictly
(``"5"`` is not an integer, ``false`` is not a number) and every problem is reported as one
line naming the file and the field path, e.g.::

    examples/brief.yaml: markets[1].country: 'XX' is not an ISO 3166-1 country code

>>> brief = parse_brief({"brand": "Solara", "description": "Sunscreen",
...                      "markets": [{"country": "BR", "languages": ["pt"]}],
...                      "budget": {"amount": 25000, "currency": "EUR"}})
>>> brief.budget.amount
Decimal('25000')
>>> brief.normalised_weights()["topic"]
0.25
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from microscout.errors import BriefError, ReferenceDataError

__all__ = [
    "DEFAULT_WEIGHTS",
    "DELIVERABLE_KINDS",
    "FALLBACK_NICHES",
    "ISO_COUNTRIES",
    "ISO_CURRENCIES",
    "ISO_LANGUAGES",
    "KPIS",
    "PLATFORMS",
    "Brief",
    "Budget",
    "Deliverable",
    "FollowerBand",
    "Market",
    "Weights",
    "known_niches",
    "load_brief",
    "parse_brief",
]


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ISO 3166-1 alpha-2: the 249 officially assigned country codes.
ISO_COUNTRIES: frozenset[str] = _codes(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """
)

# ISO 639-1: the 183 two-letter language codes in force.
ISO_LANGUAGES: frozenset[str] = _codes(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
    """
)

# ISO 4217 currencies in circulation (2026). Fund codes, precious metals, bond units and the
# test / no-currency codes (X..) are left out: a budget is paid in money.
ISO_CURRENCIES: frozenset[str] = _codes(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
    MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
    RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP
    TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW
    ZWG
    """
)

Platform = Literal["instagram", "tiktok", "youtube", "x", "bluesky", "mastodon"]
DeliverableKind = Literal["post", "reel", "story", "video", "short", "tweet", "live", "carousel"]
Kpi = Literal["authentic_engagements", "reach", "ugc_volume"]

PLATFORMS: tuple[Platform, ...] = get_args(Platform)
DELIVERABLE_KINDS: tuple[DeliverableKind, ...] = get_args(DeliverableKind)
KPIS: tuple[Kpi, ...] = get_args(Kpi)

# Used when the reference taxonomy (``niches.json``) is missing or malformed.
FALLBACK_NICHES: tuple[str, ...] = (
    "beauty", "fashion", "fitness", "health_wellness", "food", "travel", "outdoors",
    "parenting", "gaming", "tech", "finance", "education", "music", "art_design",
    "home_decor", "pets", "sports", "automotive", "entertainment", "sustainability",
)  # fmt: skip

DEFAULT_WEIGHTS: dict[str, float] = {
    "topic": 0.25,
    "market": 0.25,
    "engagement": 0.2,
    "authenticity": 0.2,
    "cost": 0.1,
}


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("brief", "{message}", {"message": message})


def _reference_dir(info: ValidationInfo) -> Path | None:
    context = info.context or {}
    value = context.get("reference_dir")
    return Path(value) if value else None


def known_niches(reference_dir: Path | None = None) -> tuple[str, ...]:
    """Niche ids of the reference taxonomy, or :data:`FALLBACK_NICHES` if it cannot load."""
    from microscout.reference import load_table

    try:
        rows = load_table("niches", reference_dir=reference_dir).rows
    except ReferenceDataError:
        return FALLBACK_NICHES
    ids = tuple(str(row["id"]) for row in rows if isinstance(row, dict) and row.get("id"))
    return ids or FALLBACK_NICHES


def _market_languages(country: str, reference_dir: Path | None) -> list[str] | None:
    from microscout.reference import load_table

    try:
        rows = load_table("markets", reference_dir=reference_dir).rows
    except ReferenceDataError:
        return None
    for row in rows:
        if row.get("country") == country and isinstance(row.get("languages"), str):
            return [code for code in row["languages"].split("|") if code]
    return None


def _check_country(value: str) -> str:
    if value not in ISO_COUNTRIES:
        hint = f" (use upper case: {value.upper()!r})" if value.upper() in ISO_COUNTRIES else ""
        raise _fail(f"{value!r} is not an ISO 3166-1 country code{hint}")
    return value


def _check_language(value: str) -> str:
    if value not in ISO_LANGUAGES:
        hint = f" (use lower case: {value.lower()!r})" if value.lower() in ISO_LANGUAGES else ""
        raise _fail(f"{value!r} is not an ISO 639-1 language code{hint}")
    return value


def _check_currency(value: str) -> str:
    if value not in ISO_CURRENCIES:
        hint = f" (use upper case: {value.upper()!r})" if value.upper() in ISO_CURRENCIES else ""
        raise _fail(f"{value!r} is not an ISO 4217 currency code{hint}")
    return value


def _check_niche(value: str, info: ValidationInfo) -> str:
    allowed = known_niches(_reference_dir(info))
    if value not in allowed:
        raise _fail(f"{value!r} is not allowed; allowed: {', '.join(allowed)}")
    return value


def _check_non_empty(value: str) -> str:
    if not value.strip():
        raise _fail("must not be empty")
    return value


def _check_creator_ref(value: str) -> str:
    platform, sep, handle = value.partition(":")
    if not sep:
        raise _fail(f"{value!r} is not of the form platform:handle (e.g. instagram:ana.fit)")
    if platform not in PLATFORMS:
        raise _fail(f"{value!r}: platform {platform!r} is not allowed; allowed: {', '.join(PLATFORMS)}")
    if not handle.strip() or handle != handle.strip():
        raise _fail(f"{value!r}: the handle after ':' must be non-empty, without spaces")
    return value


def _check_unique(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise _fail(f"{value!r} is listed twice")
        seen.add(value)
    return values


Country = Annotated[str, AfterValidator(_check_country)]
Language = Annotated[str, AfterValidator(_check_language)]
Currency = Annotated[str, AfterValidator(_check_currency)]
Niche = Annotated[str, AfterValidator(_check_niche)]
NonEmptyStr = Annotated[str, AfterValidator(_check_non_empty)]
CreatorRef = Annotated[str, AfterValidator(_check_creator_ref)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Market(_Strict):
    """One target market: a country, its languages and an optional allocation.

    ``languages`` may be left out for a country in the ``markets`` reference table; it then
    takes that country's main languages.
    """

    country: Country
    languages: Annotated[list[Language], AfterValidator(_check_unique)] = Field(min_length=1)
    min_creators: int | None = Field(default=None, ge=0)
    max_creators: int | None = Field(default=None, ge=0)
    budget_share: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _default_languages(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and "languages" not in data and isinstance(data.get("country"), str):
            languages = _market_languages(data["country"], _reference_dir(info))
            if languages:
                return {**data, "languages": languages}
        return data

    @model_validator(mode="after")
    def _check_range(self) -> Market:
        low, high = self.min_creators, self.max_creators
        if low is not None and high is not None and low > high:
            raise _fail(f"min_creators ({low}) must not exceed max_creators ({high})")
        return self


class Deliverable(_Strict):
    """A piece of content asked of every creator: ``count`` items of ``kind``."""

    kind: DeliverableKind
    count: int = Field(default=1, ge=1)


class FollowerBand(_Strict):
    """Follower range; the default is the micro-influencer band 1k–100k."""

    min: int = Field(default=1000, ge=0)
    max: int = Field(default=100_000, ge=0)

    @model_validator(mode="after")
    def _check_range(self) -> FollowerBand:
        if self.min >= self.max:
            raise _fail(f"min ({self.min}) must be less than max ({self.max})")
        return self


class Budget(_Strict):
    """Total campaign budget. ``amount`` is stored as a :class:`~decimal.Decimal`.

    A number is expected; a decimal string (``"25000.50"``) is also accepted because that
    is how :meth:`Brief.to_dict` stores money.
    """

    amount: Decimal = Field(gt=0)
    currency: Currency

    @field_validator("amount", mode="before")
    @classmethod
    def _to_decimal(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value  # rejected by the strict Decimal check
        if isinstance(value, int | float | str):
            try:
                amount = Decimal(str(value).strip())
            except InvalidOperation as exc:
                raise _fail(f"expected a number, got string {value!r}") from exc
            if not amount.is_finite():
                raise _fail(f"must be a finite number, got {value!r}")
            return amount
        return value


class Weights(_Strict):
    """Relative weights of the match-score components; a weight left out keeps its default."""

    topic: float = Field(default=DEFAULT_WEIGHTS["topic"], ge=0)
    market: float = Field(default=DEFAULT_WEIGHTS["market"], ge=0)
    engagement: float = Field(default=DEFAULT_WEIGHTS["engagement"], ge=0)
    authenticity: float = Field(default=DEFAULT_WEIGHTS["authenticity"], ge=0)
    cost: float = Field(default=DEFAULT_WEIGHTS["cost"], ge=0)

    @model_validator(mode="after")
    def _check_not_all_zero(self) -> Weights:
        if not any(self.model_dump().values()):
            raise _fail("at least one weight must be greater than 0")
        return self

    def normalised(self) -> dict[str, float]:
        """The weights divided by their sum (they then add up to 1)."""
        values = self.model_dump()
        total = sum(values.values())
        return {name: value / total for name, value in values.items()}


class Brief(_Strict):
    """A campaign brief. Required: brand, description, markets (at least one), budget."""

    brand: NonEmptyStr
    description: str
    markets: list[Market] = Field(min_length=1)
    niches: Annotated[list[Niche], AfterValidator(_check_unique)] = Field(default_factory=list)
    platforms: Annotated[list[Platform], AfterValidator(_check_unique)] = Field(
        default_factory=lambda: list(PLATFORMS), min_length=1
    )
    deliverables: list[Deliverable] = Field(default_factory=lambda: [Deliverable(kind="post", count=1)], min_length=1)
    followers: FollowerBand = Field(default_factory=lambda: FollowerBand())
    min_quality: float | None = Field(default=None, ge=0, le=100)
    budget: Budget
    kpi: Kpi = "authentic_engagements"
    exclude_creators: Annotated[list[CreatorRef], AfterValidator(_check_unique)] = Field(default_factory=list)
    competitors: list[NonEmptyStr] = Field(default_factory=list)
    content_language_required: bool = False
    weights: Weights | None = None

    @field_validator("markets")
    @classmethod
    def _check_markets(cls, markets: list[Market]) -> list[Market]:
        _check_unique([market.country for market in markets])
        total = sum(market.budget_share or 0.0 for market in markets)
        if total > 1 + 1e-9:
            raise _fail(f"budget_share values add up to {total:g}, more than 1")
        return markets

    def normalised_weights(self) -> dict[str, float]:
        """Component weights adding up to 1 (the defaults when the brief sets none)."""
        return self.weights.normalised() if self.weights else dict(DEFAULT_WEIGHTS)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data for storage (the budget amount as a decimal string)."""
        return self.model_dump(mode="json")


# ---------------------------------------------------------------- loading and error messages


def _brief_error(message: str, errors: list[str] | None = None) -> BriefError:
    """A :class:`BriefError` with ``message`` and ``errors`` set (``errors`` defaults to it)."""
    error = BriefError(message)
    # Set here rather than through the constructor: with the built-in mixed in first
    # (ValueError), ``MicroscoutError.__init__`` is not the one that runs.
    error.message = message
    error.errors = list(errors) if errors else [message]
    return error


def parse_brief(data: Any, source: str = "brief", *, reference_dir: Path | None = None) -> Brief:
    """Validate ``data`` (a mapping, e.g. parsed YAML/JSON) as a :class:`Brief`.

    Raises :class:`BriefError` whose message is the first problem as one line
    (``<source>: <field path>: <problem>``) and whose ``errors`` list every problem.
    """
    if not isinstance(data, dict):
        message = f"{source}: expected a mapping of fields at the top level, got {_kind(data)}"
        raise _brief_error(message)
    try:
        return Brief.model_validate(data, context={"reference_dir": reference_dir})
    except ValidationError as exc:
        lines = [f"{source}: {_describe(error)}" for error in exc.errors()]
        raise _brief_error(lines[0], lines) from exc


def load_brief(path: str | Path, *, reference_dir: Path | None = None) -> Brief:
    """Read a brief from a ``.yaml``/``.yml`` or ``.json`` file and validate it."""
    source = str(path)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".json"}:
        raise _brief_error(f"{source}: unsupported file type {path.suffix or '(none)'!r}; use .yaml, .yml or .json")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise _brief_error(f"{source}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise _brief_error(f"{source}: not valid UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise _brief_error(f"{source}: cannot read the file ({exc.strerror})") from exc
    data = _parse_json(text, source) if suffix == ".json" else _parse_yaml(text, source)
    if data is None:
        raise _brief_error(f"{source}: the file is empty")
    return parse_brief(data, source, reference_dir=reference_dir)


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML loader that refuses a key given twice in one mapping."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return dict(loader.construct_pairs(node))


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "cannot parse"
        raise _brief_error(f"{source}: invalid YAML{where}: {problem}") from exc
    except yaml.YAMLError as exc:
        raise _brief_error(f"{source}: invalid YAML: {exc}") from exc


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs)
    except json.JSONDecodeError as exc:
        raise _brief_error(f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except ValueError as exc:
        raise _brief_error(f"{source}: invalid JSON: {exc}") from exc


_KIND_NAMES = {
    "str": "string",
    "bool": "boolean",
    "int": "integer",
    "float": "number",
    "list": "list",
    "dict": "mapping",
    "NoneType": "null",
}

_EXPECTED = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "decimal_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
}

_COMPARISONS = {
    "greater_than": ("greater than", "gt"),
    "greater_than_equal": ("at least", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("at most", "le"),
}


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    text = str(value) if isinstance(value, Decimal) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    name = _KIND_NAMES.get(type(value).__name__, type(value).__name__)
    if isinstance(value, dict | list):
        return f"a {name}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{name} {_show(value)}"


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(loc: tuple[int | str, ...], root: type[BaseModel] | None = None) -> type[BaseModel] | None:
    """The model class that validates the mapping found at ``loc`` inside ``root`` (a brief by default)."""
    current: Any = root or Brief
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    while True:
        args = [a for a in get_args(annotation) if a is not type(None)]
        origin = get_origin(annotation)
        if origin is not None and origin is not Literal and args:
            annotation = args[0]
        else:
            return annotation


def _describe(error: Any, root: type[BaseModel] | None = None) -> str:
    """One line for one pydantic error: ``field.path: problem`` (``root``: the model validated)."""
    loc = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        loc, name = loc[:-1], loc[-1]
        model = _model_at(loc, root)
        allowed = ", ".join(model.model_fields) if model else ""
        problem = f"unknown field {name!r}" + (f" (allowed: {allowed})" if allowed else "")
    elif kind == "missing":
        problem = "required field is missing"
        if loc[:1] == ("markets",) and loc[-1:] == ("languages",):
            problem += " (no default languages are known for this country)"
    elif kind == "brief":
        problem = str(ctx.get("message", error["msg"]))
    elif kind == "literal_error":
        allowed = ", ".join(_literal_values(str(ctx.get("expected", ""))))
        problem = f"{_show(value)} is not allowed; allowed: {allowed}"
    elif kind in _EXPECTED:
        problem = f"expected {_EXPECTED[kind]}, got {_kind(value)}"
        if isinstance(value, bool) and kind == "string_type":
            problem += " (YAML reads yes/no/on/off/true/false as booleans: quote the value)"
    elif kind in _COMPARISONS:
        words, key = _COMPARISONS[kind]
        limit = ctx.get(key)
        problem = f"must be {words} {_show(limit)}, got {_show(value)}"
    elif kind == "too_short":
        count = ctx.get("min_length", 1)
        problem = f"must have at least {count} item{'s' if count != 1 else ''}"
    elif kind == "finite_number":
        problem = f"must be a finite number, got {_show(value)}"
    else:
        problem = str(error["msg"])
    return f"{_path(loc)}: {problem}" if loc else problem


def _literal_values(expected: str) -> list[str]:
    """``"'a', 'b' or 'c'"`` (pydantic's ``expected``) → ``['a', 'b', 'c']``."""
    parts = expected.replace(" or ", ", ").split(", ")
    return [part.strip().strip("'") for part in parts if part.strip()]
