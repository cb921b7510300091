"""The canonical data model: every table defined once, as an Ibis schema plus its natural key.

Public social data (creators, posts, comments, audience samples, derived profiles) is shared by
the installation. Workspace tables carry ``workspace_id`` and are only read through a
workspace-scoped query (:meth:`microscout.store.Store.table`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import ibis.expr.datatypes as dt

SCHEMA_VERSION = 3

STR = dt.String(nullable=True)
INT = dt.Int64(nullable=True)
FLOAT = dt.Float64(nullable=True)
BOOL = dt.Boolean(nullable=True)
TS = dt.Timestamp(nullable=True)  # always UTC, stored naive
DATE = dt.Date(nullable=True)
JSON = dt.String(nullable=True)  # a JSON document as text (portable across engines)
STRS = dt.Array(dt.string, nullable=True)
MONEY = dt.Decimal(18, 2, nullable=True)
RATE = dt.Decimal(18, 8, nullable=True)


@dataclass(frozen=True)
class TableDef:
    """One table of the data model."""

    name: str
    columns: dict[str, dt.DataType]
    key: tuple[str, ...]
    workspace: bool = False
    doc: str = ""
    # how an upsert merges a column that already has a value (default: the new value wins)
    merge: dict[str, str] = field(default_factory=dict)

    @property
    def schema(self) -> ibis.Schema:
        return ibis.schema(self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return self.key


def _t(
    table: str,
    key: tuple[str, ...],
    doc: str,
    workspace: bool = False,
    /,
    merge: dict[str, str] | None = None,
    **columns: dt.DataType,
) -> TableDef:
    cols = {"workspace_id": STR, **columns} if workspace else dict(columns)
    return TableDef(table, cols, key, workspace, doc, merge or {})


_W = ("workspace_id",)

TABLES: dict[str, TableDef] = {
    t.name: t
    for t in [
        # ---- public social data --------------------------------------------------------
        _t(
            "creators",
            ("platform", "creator_id"),
            "One row per creator account.",
            merge={"first_seen": "least", "last_seen": "greatest"},
            platform=STR,
            creator_id=STR,
            handle=STR,
            display_name=STR,
            bio=STR,
            followers=INT,
            following=INT,
            posts_count=INT,
            verified=BOOL,
            is_business=BOOL,
            declared_country=STR,
            declared_language=STR,
            contact_email=STR,
            profile_url=STR,
            first_seen=TS,
            last_seen=TS,
            extras=JSON,
        ),
        _t(
            "creator_snapshots",
            ("platform", "creator_id", "observed_at"),
            "One observation of a creator's counts, keyed on the source's observed_at.",
            platform=STR,
            creator_id=STR,
            observed_at=TS,
            followers=INT,
            following=INT,
            posts_count=INT,
        ),
        _t(
            "posts",
            ("platform", "post_id"),
            "One post, video, story or tweet.",
            platform=STR,
            post_id=STR,
            creator_id=STR,
            published_at=TS,
            kind=STR,
            caption=STR,
            hashtags=STRS,
            mentions=STRS,
            likes=INT,
            comments=INT,
            shares=INT,
            saves=INT,
            views=INT,
            is_sponsored=BOOL,
            location_country=STR,
            url=STR,
            reply_to=STR,
            quote_of=STR,
            repost_of=STR,
            extras=JSON,
        ),
        _t(
            "comments",
            ("platform", "comment_id"),
            "One comment on a post.",
            platform=STR,
            comment_id=STR,
            post_id=STR,
            author_id=STR,
            author_handle=STR,
            text=STR,
            published_at=TS,
            likes=INT,
            is_creator_reply=BOOL,
            extras=JSON,
        ),
        _t(
            "audience_accounts",
            ("platform", "account_id"),
            "A sampled follower or commenter account (pseudonymised id).",
            platform=STR,
            account_id=STR,
            followers=INT,
            following=INT,
            posts=INT,
            bio_length=INT,
            has_profile_pic=BOOL,
            is_private=BOOL,
            username_length=INT,
            username_digits=INT,
            has_external_url=BOOL,
            country=STR,
            language=STR,
            extras=JSON,
        ),
        _t(
            "audience_edges",
            ("platform", "creator_id", "account_id", "relation"),
            "Creator → sampled audience account (relation: follower or commenter).",
            platform=STR,
            creator_id=STR,
            account_id=STR,
            relation=STR,
            observed_at=TS,
        ),
        _t(
            "post_signals",
            ("platform", "post_id"),
            "Derived text signals of a post.",
            platform=STR,
            post_id=STR,
            language=STR,
            language_confidence=FLOAT,
            sentiment=FLOAT,
            sentiment_label=STR,
            niche_scores=JSON,
            safety_flags=STRS,
            safety_terms=STRS,
            signals_version=STR,
            computed_at=TS,
        ),
        _t(
            "creator_profiles",
            ("platform", "creator_id"),
            "Derived metrics and scores of a creator (one row per creator, latest run); docs/metrics.md.",
            platform=STR,
            creator_id=STR,
            profile_version=STR,
            computed_at=TS,
            input_fingerprint=STR,
            tier=STR,
            followers=INT,
            posts_in_window=INT,
            er_followers=FLOAT,
            er_followers_mean=FLOAT,
            er_views=FLOAT,
            er_views_mean=FLOAT,
            er_log_n=INT,
            er_log_mean=FLOAT,
            er_log_sd=FLOAT,
            er_prior=FLOAT,
            er_posterior=FLOAT,
            er_low=FLOAT,
            er_high=FLOAT,
            shrinkage=FLOAT,
            er_percentile=FLOAT,
            er_posterior_percentile=FLOAT,
            peer_count=INT,
            expected_er=FLOAT,
            er_residual=FLOAT,
            benchmark_low=FLOAT,
            benchmark_high=FLOAT,
            benchmark_position=STR,
            benchmark_source=STR,
            last_post_at=TS,
            days_since_last_post=FLOAT,
            posts_per_week=FLOAT,
            engagement_cv=FLOAT,
            growth_30d=FLOAT,
            growth_90d=FLOAT,
            sponsored_share=FLOAT,
            sponsored_er=FLOAT,
            organic_er=FLOAT,
            comment_like_ratio=FLOAT,
            reply_rate=FLOAT,
            extras=JSON,
        ),
        # ---- bookkeeping --------------------------------------------------------------
        _t(
            "ingest_runs",
            ("run_id",),
            "One ingest batch run, with counts and a resume cursor.",
            run_id=STR,
            source=STR,
            workspace_id=STR,
            args=JSON,
            started_at=TS,
            finished_at=TS,
            status=STR,
            counts=JSON,
            checkpoint=JSON,
        ),
        _t(
            "quarantine",
            ("run_id", "source", "position"),
            "A rejected record: where it was, why, and the raw payload.",
            run_id=STR,
            source=STR,
            table_name=STR,
            position=STR,
            reason=STR,
            raw=JSON,
            quarantined_at=TS,
        ),
        # ---- workspace tables ---------------------------------------------------------
        _t("workspaces", ("workspace_id",), "A tenant: a team or a client.", True, name=STR, created_at=TS),
        _t(
            "users",
            (*_W, "user_id"),
            "A person with a role in a workspace.",
            True,
            user_id=STR,
            email=STR,
            name=STR,
            role=STR,
            password_hash=STR,
            created_at=TS,
            disabled=BOOL,
        ),
        _t(
            "api_keys",
            (*_W, "key_id"),
            "An API key (stored hashed).",
            True,
            key_id=STR,
            name=STR,
            key_hash=STR,
            role=STR,
            created_at=TS,
            revoked_at=TS,
        ),
        _t(
            "briefs",
            (*_W, "brief_id"),
            "A campaign brief.",
            True,
            brief_id=STR,
            name=STR,
            brand=STR,
            body=JSON,
            created_at=TS,
        ),
        _t(
            "search_results",
            (*_W, "search_id", "platform", "creator_id"),
            "A ranked shortlist row with its score components and the weights used.",
            True,
            search_id=STR,
            brief_id=STR,
            rank=INT,
            platform=STR,
            creator_id=STR,
            score=FLOAT,
            components=JSON,
            weights=JSON,
            created_at=TS,
        ),
        _t(
            "plans",
            (*_W, "plan_id"),
            "A campaign plan under a budget.",
            True,
            plan_id=STR,
            brief_id=STR,
            name=STR,
            status=STR,
            budget=MONEY,
            currency=STR,
            kpi=STR,
            body=JSON,
            created_at=TS,
        ),
        _t(
            "placements",
            (*_W, "placement_id"),
            "A creator booked in a plan or campaign.",
            True,
            placement_id=STR,
            plan_id=STR,
            campaign_id=STR,
            platform=STR,
            creator_id=STR,
            market=STR,
            deliverables=JSON,
            fee=MONEY,
            currency=STR,
            due_date=DATE,
            status=STR,
        ),
        _t(
            "campaigns",
            (*_W, "campaign_id"),
            "A running or closed campaign.",
            True,
            campaign_id=STR,
            name=STR,
            brand=STR,
            plan_id=STR,
            status=STR,
            start_date=DATE,
            end_date=DATE,
            body=JSON,
            created_at=TS,
            closed_at=TS,
        ),
        _t(
            "tracking_rules",
            (*_W, "rule_id"),
            "What marks a post as part of a campaign.",
            True,
            rule_id=STR,
            campaign_id=STR,
            kind=STR,
            value=STR,
            language=STR,
            market=STR,
        ),
        _t(
            "deals",
            (*_W, "deal_id"),
            "A past deal: what a creator was paid.",
            True,
            deal_id=STR,
            platform=STR,
            creator_id=STR,
            deliverable=STR,
            fee=MONEY,
            currency=STR,
            deal_date=DATE,
            source=STR,
        ),
        _t(
            "fx_rates",
            (*_W, "base", "quote", "rate_date"),
            "A currency rate.",
            True,
            base=STR,
            quote=STR,
            rate_date=DATE,
            rate=RATE,
        ),
        _t(
            "audience_insights",
            (*_W, "platform", "creator_id", "dimension", "value", "observed_at"),
            "Creator-authorised audience demographics.",
            True,
            platform=STR,
            creator_id=STR,
            dimension=STR,
            value=STR,
            share=FLOAT,
            observed_at=TS,
        ),
        _t(
            "lists",
            (*_W, "list_id"),
            "A named creator list.",
            True,
            list_id=STR,
            name=STR,
            description=STR,
            created_at=TS,
        ),
        _t(
            "list_items",
            (*_W, "list_id", "platform", "creator_id"),
            "A creator on a list.",
            True,
            list_id=STR,
            platform=STR,
            creator_id=STR,
            added_at=TS,
            added_by=STR,
        ),
        _t(
            "notes",
            (*_W, "note_id"),
            "A note on a creator.",
            True,
            note_id=STR,
            platform=STR,
            creator_id=STR,
            author=STR,
            body=STR,
            tags=STRS,
            created_at=TS,
        ),
        _t(
            "jobs",
            (*_W, "job_id"),
            "A long job run by the server.",
            True,
            job_id=STR,
            kind=STR,
            status=STR,
            progress=FLOAT,
            result=JSON,
            error=STR,
            created_at=TS,
            finished_at=TS,
        ),
        _t(
            "alerts",
            (*_W, "alert_id"),
            "An alert raised by a rule.",
            True,
            alert_id=STR,
            rule=STR,
            severity=STR,
            subject=STR,
            message=STR,
            details=JSON,
            created_at=TS,
            acknowledged_at=TS,
        ),
        _t(
            "audit_log",
            (*_W, "event_id"),
            "Who did what, when.",
            True,
            event_id=STR,
            at=TS,
            actor=STR,
            action=STR,
            target=STR,
            details=JSON,
        ),
    ]
}

# Tables the canonical file format (`ingest files`) accepts, in dependency order.
INGESTIBLE = (
    "creators",
    "creator_snapshots",
    "posts",
    "comments",
    "audience_accounts",
    "audience_edges",
    "audience_insights",
    "deals",
    "fx_rates",
)
PUBLIC_TABLES = tuple(n for n, t in TABLES.items() if not t.workspace)
WORKSPACE_TABLES = tuple(n for n, t in TABLES.items() if t.workspace)


def table_def(name: str) -> TableDef:
    from microscout.errors import NotFoundError

    try:
        return TABLES[name]
    except KeyError:
        raise NotFoundError(f"unknown table {name!r}; known tables: {', '.join(sorted(TABLES))}") from None
