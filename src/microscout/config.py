"""Settings: one pydantic-settings class, prefix ``MICROSCOUT_``, passed in explicitly."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_WORKSPACE = "default"


class Settings(BaseSettings):
    """Configuration of one microscout installation.

    Every field can be set from the environment with the ``MICROSCOUT_`` prefix,
    e.g. ``MICROSCOUT_DB=/data/ms.duckdb``.
    """

    model_config = SettingsConfigDict(env_prefix="MICROSCOUT_", extra="ignore")

    db: str = Field(
        "./microscout.duckdb",
        description="Store URL: a path or duckdb:///path (embedded) or parquet:///folder (lake).",
    )
    engine: str = Field(
        "duckdb",
        description="Analytical engine: duckdb, spark, or a Spark master URL (spark://host:7077).",
    )
    workspace: str = Field(DEFAULT_WORKSPACE, description="Workspace the CLI works in for private data.")
    reference_dir: Path | None = Field(
        None,
        description="Folder whose files override the shipped reference tables of the same name.",
    )
    eval_data: Path = Field(
        Path("../shared/data"),
        description="Folder of the real labelled data used by evaluations and training.",
    )
    ingest_batch_size: int = Field(50_000, ge=1, description="Records written per atomic ingest batch.")
    er_window_posts: int = Field(30, ge=1, description="Posts in the engagement-rate window (most recent first).")
    er_window_days: int | None = Field(
        None, ge=1, description="Only posts of the last N days before the latest post count (default: no limit)."
    )
    er_include_shares_saves: bool = Field(
        False, description="Count shares and saves as engagements in ER by followers."
    )
    threads: int | None = Field(None, ge=1, description="DuckDB worker threads (default: all cores).")
    memory_limit: str | None = Field(
        None,
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB memory limit, e.g. 1GB; larger work spills to disk (default: 80 % of RAM).",
    )
    aqs_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "suspicious_followers": 60.0,
            "growth_spike": 45.0,
            "pod": 45.0,
            "bought_engagement": 35.0,
            "er_low": 25.0,
            "generic_comments": 20.0,
            "mass_followers": 15.0,
            "comment_like_ratio": 10.0,
        },
        description="Audience Quality Score: points each authenticity signal takes off 100 at full severity "
        "(JSON object; docs/authenticity.md).",
    )
    aqs_threshold: float = Field(
        70.0, ge=0, le=100, description="AQS below this flags a creator's audience as suspicious."
    )
    audience_model: str = Field(
        "default",
        description="Account classifier for audience samples: default (bundled), rules, or a model file path.",
    )
    languages: str = Field(
        "",
        description="Languages language ID may answer, comma-separated ISO 639-1 codes "
        "(default: the sample world's en,es,pt,fr,de,it,id,ja,hi,tr,ar); anything else is und.",
    )
    language_threshold: float = Field(
        0.3, ge=0, le=1, description="Language ID answers und below this confidence (docs/languages.md)."
    )
    secret: SecretStr | None = Field(
        None,
        description="Installation secret for pseudonymised audience ids and sealed OAuth tokens "
        "(default: generated once into <store>.secret next to the store); never logged or exported.",
    )
    connector_request_budget: int = Field(
        2000,
        ge=1,
        description="Most HTTP requests one connector run may make; a run that reaches it stops and the same "
        "command resumes it (docs/connectors.md).",
    )
    comment_retention_days: int | None = Field(
        None, ge=1, description="Erase the raw text of comments older than this many days (default: kept)."
    )
    session_secret: SecretStr | None = Field(
        None,
        description="Signs the web UI's session cookies and CSRF tokens (microscout serve; docs/server.md). "
        "Default: a random key per server start, so sessions end when the server restarts.",
    )
    session_hours: int = Field(12, ge=1, le=720, description="Hours a web UI login stays valid.")
    upload_max_mb: int = Field(256, ge=1, description="Largest file the server accepts for an ingest job, in MiB.")
    login_attempts_per_minute: int = Field(
        10, ge=1, description="Login and API-key attempts per minute from one client before it gets HTTP 429."
    )
    smtp_host: str | None = Field(
        None, description="SMTP server for outreach and alert e-mail (docs/working-with-creators.md); unset: no e-mail."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port (587 with STARTTLS is the usual).")
    smtp_username: str | None = Field(
        None,
        description="SMTP login name; the password comes only from MICROSCOUT_SMTP_PASSWORD and is never stored.",
    )
    smtp_from: str | None = Field(None, description="From address of outgoing e-mail, e.g. Team <team@brand.example>.")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS before logging in.")
    proof_max_mb: int = Field(10, ge=1, le=1024, description="Largest deliverable proof file accepted, in MiB.")
