"""Commands for platform data: ingest <platform>, refresh, connect, forget."""

from __future__ import annotations

import getpass
import webbrowser
from typing import Annotated, Any

import typer

from microscout.cli import (
    DbOption,
    FormatOption,
    OutputFormat,
    WorkspaceOption,
    app,
    console,
    emit,
    err_console,
    handle_errors,
    ingest_app,
    make_settings,
    progress_bar,
)
from microscout.store import connect

HandleOption = Annotated[str | None, typer.Option("--handle", help="The creator's handle (see docs/connectors.md).")]
QueryOption = Annotated[str | None, typer.Option("--query", help="Search posts by text (word of mouth, UGC).")]
HashtagOption = Annotated[str | None, typer.Option("--hashtag", help="Posts with this hashtag (without #).")]
PostsOption = Annotated[int, typer.Option("--posts", min=0, help="Most posts per creator or search.")]
FollowersOption = Annotated[int, typer.Option("--followers", min=0, help="Followers to sample (0: none).")]
CommentsOption = Annotated[
    bool, typer.Option("--comments/--no-comments", help="Also fetch comments (and commenter samples).")
]
PerPostOption = Annotated[int, typer.Option("--comments-per-post", min=1, help="Most comments per post.")]
CommentPostsOption = Annotated[
    int, typer.Option("--comment-posts", min=1, help="How many of the newest posts get their comments fetched.")
]
ConnectedOption = Annotated[
    bool, typer.Option("--connected", help="Creator-authorised data of accounts linked with `microscout connect`.")
]
FreshOption = Annotated[bool, typer.Option("--fresh", help="Start over instead of resuming an unfinished run.")]
BudgetOption = Annotated[
    int | None, typer.Option("--budget", min=1, help="Most HTTP requests for this run (default: the setting).")
]


def _request(**values: Any) -> Any:
    from microscout.connectors import Request

    comments = values.pop("comments", False)
    per_post = values.pop("comments_per_post", 50)
    return Request(comments=per_post if comments else 0, **{k: v for k, v in values.items() if v is not None})


def _settings(db: str, workspace: str, budget: int | None) -> Any:
    settings = make_settings(db, "duckdb", workspace)
    if budget:
        settings = settings.model_copy(update={"connector_request_budget": budget})
    return settings


def _report(result: Any, output: OutputFormat, db: str) -> None:
    rows = [{"run_id": result.run_id, "status": result.status, **r} for r in result.rows()]
    if output is not OutputFormat.table:
        emit(rows, output, columns=["run_id", "status", "table", "inserted", "updated", "unchanged", "quarantined"])
        return
    resumed = " (resumed)" if result.resumed else ""
    emit(
        [{k: v for k, v in r.items() if k not in ("run_id", "status")} for r in rows],
        output,
        title=f"{result.source} run {result.run_id}{resumed}: {result.status}, {result.requests} requests",
        columns=["table", "inserted", "updated", "unchanged", "quarantined"],
    )
    for note in result.notes:
        console.print(note, markup=False)
    if result.comments_erased:
        console.print(f"Comment text older than the retention period erased: {result.comments_erased} comment(s).")
    if result.quarantined:
        console.print(
            f"{result.quarantined} record(s) quarantined; see why with: "
            f"microscout ingest quarantine --run {result.run_id} --db {db}",
            markup=False,
        )


def _ingest(
    source: str, request: Any, db: str, workspace: str, output: OutputFormat, fresh: bool, budget: int | None
) -> None:
    from microscout.connectors import ingest_source

    settings = _settings(db, workspace, budget)
    with connect(settings.db, settings=settings) as store, progress_bar() as update:
        result = ingest_source(store, source, request, workspace=settings.workspace, resume=not fresh, progress=update)
    _report(result, output, db)


@ingest_app.command("bluesky")
@handle_errors
def ingest_bluesky(
    handle: HandleOption = None,
    query: QueryOption = None,
    hashtag: HashtagOption = None,
    posts: PostsOption = 50,
    followers: FollowersOption = 0,
    comments: CommentsOption = False,
    comments_per_post: PerPostOption = 50,
    comment_posts: CommentPostsOption = 10,
    fresh: FreshOption = False,
    budget: BudgetOption = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Bluesky via the public AppView (no credentials): profile, posts, followers, replies, quotes, search."""
    request = _request(
        handle=handle,
        query=query,
        hashtag=hashtag,
        posts=posts,
        followers=followers,
        comments=comments,
        comments_per_post=comments_per_post,
        comment_posts=comment_posts,
    )
    _ingest("bluesky", request, db, workspace, output, fresh, budget)


@ingest_app.command("mastodon")
@handle_errors
def ingest_mastodon(
    handle: Annotated[str | None, typer.Option("--handle", help="user@instance.social")] = None,
    hashtag: HashtagOption = None,
    instance: Annotated[str | None, typer.Option("--instance", help="Instance for --hashtag or a bare handle.")] = None,
    posts: PostsOption = 50,
    followers: FollowersOption = 0,
    comments: CommentsOption = False,
    comments_per_post: PerPostOption = 50,
    comment_posts: CommentPostsOption = 10,
    fresh: FreshOption = False,
    budget: BudgetOption = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Mastodon (any instance): account, statuses, followers, replies, tag timelines."""
    request = _request(
        handle=handle,
        hashtag=hashtag,
        instance=instance,
        posts=posts,
        followers=followers,
        comments=comments,
        comments_per_post=comments_per_post,
        comment_posts=comment_posts,
    )
    _ingest("mastodon", request, db, workspace, output, fresh, budget)


@ingest_app.command("x")
@handle_errors
def ingest_x(
    handle: HandleOption = None,
    query: QueryOption = None,
    hashtag: HashtagOption = None,
    posts: PostsOption = 50,
    followers: FollowersOption = 0,
    comments: CommentsOption = False,
    comments_per_post: PerPostOption = 50,
    comment_posts: CommentPostsOption = 10,
    fresh: FreshOption = False,
    budget: BudgetOption = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """X API v2 (MICROSCOUT_X_BEARER_TOKEN): user, posts with public metrics, recent search, followers."""
    request = _request(
        handle=handle,
        query=query,
        hashtag=hashtag,
        posts=posts,
        followers=followers,
        comments=comments,
        comments_per_post=comments_per_post,
        comment_posts=comment_posts,
    )
    _ingest("x", request, db, workspace, output, fresh, budget)


@ingest_app.command("youtube")
@handle_errors
def ingest_youtube(
    handle: Annotated[str | None, typer.Option("--handle", help="@handle or channel id (UC…).")] = None,
    query: QueryOption = None,
    connected: ConnectedOption = False,
    posts: PostsOption = 50,
    comments: CommentsOption = False,
    comments_per_post: PerPostOption = 50,
    comment_posts: CommentPostsOption = 10,
    fresh: FreshOption = False,
    budget: BudgetOption = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """YouTube Data API v3 (MICROSCOUT_YOUTUBE_API_KEY): channel, uploads, comments, search, demographics."""
    request = _request(
        handle=handle,
        query=query,
        connected=connected,
        posts=posts,
        comments=comments,
        comments_per_post=comments_per_post,
        comment_posts=comment_posts,
    )
    _ingest("youtube", request, db, workspace, output, fresh, budget)


@ingest_app.command("tiktok")
@handle_errors
def ingest_tiktok(
    handle: HandleOption = None,
    query: QueryOption = None,
    hashtag: HashtagOption = None,
    connected: ConnectedOption = False,
    days: Annotated[int, typer.Option("--days", min=1, max=30, help="Research API window, in days.")] = 30,
    posts: PostsOption = 50,
    comments: CommentsOption = False,
    comments_per_post: PerPostOption = 50,
    comment_posts: CommentPostsOption = 10,
    fresh: FreshOption = False,
    budget: BudgetOption = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """TikTok Research API (MICROSCOUT_TIKTOK_TOKEN) or, with --connected, the Display API."""
    request = _request(
        handle=handle,
        query=query,
        hashtag=hashtag,
        connected=connected,
        days=days,
        posts=posts,
        comments=comments,
        comments_per_post=comments_per_post,
        comment_posts=comment_posts,
    )
    _ingest("tiktok", request, db, workspace, output, fresh, budget)


@ingest_app.command("instagram")
@handle_errors
def ingest_instagram(
    handle: Annotated[str | None, typer.Option("--handle", help="A professional account (Business Discovery).")] = None,
    hashtag: HashtagOption = None,
    top: Annotated[bool, typer.Option("--top", help="Top instead of recent media for --hashtag.")] = False,
    tags: Annotated[bool, typer.Option("--tags", help="Media your account is tagged in (UGC).")] = False,
    connected: ConnectedOption = False,
    posts: PostsOption = 50,
    comments: CommentsOption = False,
    comments_per_post: PerPostOption = 50,
    comment_posts: CommentPostsOption = 10,
    fresh: FreshOption = False,
    budget: BudgetOption = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Instagram Graph API: Business Discovery, hashtags, tags; --connected adds insights and demographics."""
    request = _request(
        handle=handle,
        hashtag=hashtag,
        top=top,
        tags=tags,
        connected=connected,
        posts=posts,
        comments=comments,
        comments_per_post=comments_per_post,
        comment_posts=comment_posts,
    )
    _ingest("instagram", request, db, workspace, output, fresh, budget)


@app.command("refresh")
@handle_errors
def refresh_cmd(
    platform: Annotated[
        list[str] | None, typer.Option("--platform", help="Only these platforms (repeatable; default: all).")
    ] = None,
    posts: PostsOption = 30,
    followers: FollowersOption = 0,
    comments: CommentsOption = False,
    comments_per_post: PerPostOption = 50,
    comment_posts: CommentPostsOption = 10,
    fresh: FreshOption = False,
    budget: BudgetOption = None,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Re-pull every stored creator on platforms with credentials (or none needed); writes snapshots; resumable."""
    from microscout.connectors import refresh_creators

    request = _request(
        posts=posts,
        followers=followers,
        comments=comments,
        comments_per_post=comments_per_post,
        comment_posts=comment_posts,
    )
    settings = _settings(db, workspace, budget)
    with connect(settings.db, settings=settings) as store, progress_bar() as update:
        result = refresh_creators(
            store, request, platforms=platform, workspace=settings.workspace, resume=not fresh, progress=update
        )
    _report(result, output, db)


@app.command("connect")
@handle_errors
def connect_cmd(
    platform: Annotated[str, typer.Argument(help="instagram, tiktok or youtube.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Revoke and delete the account's tokens.")] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="Refresh the account's tokens now.")] = False,
    show: Annotated[bool, typer.Option("--list", help="List the connected accounts (never the tokens).")] = False,
    account: Annotated[str | None, typer.Option("--account", help="Which connected account.")] = None,
    port: Annotated[int, typer.Option("--port", help="Callback port on 127.0.0.1 (as registered).")] = 8765,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Print the consent URL only.")] = False,
    timeout: Annotated[int, typer.Option("--timeout", min=10, help="Seconds to wait for consent.")] = 300,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
) -> None:
    """Authorise a creator's account (OAuth on a 127.0.0.1 callback); tokens are sealed per workspace."""
    import os

    from microscout.connectors.http import SystemClock
    from microscout.connectors.oauth import PROVIDERS, TokenStore, authorize, refresh_token
    from microscout.connectors.oauth import revoke as revoke_token
    from microscout.errors import InvalidInputError, NotFoundError

    if platform not in PROVIDERS:
        raise InvalidInputError(f"connect: {platform!r} has no OAuth flow here; use one of {', '.join(PROVIDERS)}")
    provider = PROVIDERS[platform]
    settings = make_settings(db, "duckdb", workspace)
    tokens = TokenStore.for_settings(settings, settings.workspace)
    clock = SystemClock()
    if show:
        emit([t.public() for t in tokens.list(platform)], OutputFormat.table, title=f"Connected {platform} accounts")
        return
    if revoke or refresh:
        token = tokens.get(platform, account)
        if token is None:
            raise NotFoundError(f"no {platform} account is connected in workspace {settings.workspace!r}")
        client_id, client_secret = os.environ.get(provider.client_id_env), os.environ.get(provider.client_secret_env)
        if revoke:
            message = revoke_token(
                provider, token, client_id=client_id, client_secret=client_secret, tokens=tokens, clock=clock
            )
            console.print(message, markup=False)
            return
        fresh = refresh_token(
            provider, token, client_id=client_id, client_secret=client_secret, tokens=tokens, clock=clock
        )
        console.print(f"{platform} account {fresh.account}: tokens refreshed.", markup=False)
        return
    client_id, client_secret = provider.credentials(os.environ)

    def open_url(url: str) -> None:
        err_console.print(f"Open this page to authorise microscout:\n{url}", markup=False, soft_wrap=True)
        if not no_browser:
            webbrowser.open(url)

    token = authorize(
        provider,
        client_id=client_id,
        client_secret=client_secret,
        tokens=tokens,
        open_url=open_url,
        clock=clock,
        port=port,
        timeout=timeout,
    )
    console.print(
        f"Connected {platform} account {token.account} in workspace {settings.workspace!r}; "
        f"pull its data with: microscout ingest {platform} --connected",
        markup=False,
    )


@app.command("forget")
@handle_errors
def forget_cmd(
    creator: Annotated[str, typer.Argument(help="platform:handle of the creator to erase.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOption = "./microscout.duckdb",
    workspace: WorkspaceOption = "default",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Delete a creator and everything derived from them; an audit-log entry records it (by pseudonym)."""
    from microscout.creators import resolve_creator
    from microscout.privacy import Pseudonymiser, forget_creator, installation_secret

    settings = make_settings(db, "duckdb", workspace)
    with connect(settings.db, settings=settings) as store:
        platform, creator_id = resolve_creator(store, creator)
        if not yes:
            typer.confirm(f"Erase {creator} and everything derived from them?", abort=True)
        try:
            actor = getpass.getuser()
        except (KeyError, OSError):
            actor = "cli"
        done = forget_creator(
            store,
            platform,
            creator_id,
            workspace=settings.workspace,
            actor=f"cli:{actor}",
            pseudonymise=Pseudonymiser(installation_secret(settings)),
        )
    rows = [{"table": t, "rows": n} for t, n in sorted(done.items())]
    emit(rows, output, title=f"Forgot {creator}", columns=["table", "rows"])
