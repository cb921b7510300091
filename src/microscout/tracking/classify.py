"""Classify collected posts for a campaign: deliverables, UGC and competitor mentions.

``track_campaign`` reads the campaign's tracking rules and scans the posts published since the
campaign started (until it was closed). The scan runs inside the store: one SQL predicate keeps
only posts whose hashtags, mentions or caption contain a rule term, streamed in chunks, so a
store of 100 M posts never comes into Python — only the candidates do. Each candidate is then
matched exactly:

* ``hashtag`` — in the post's hashtag list or as ``#tag`` in the caption;
* ``mention`` — in the mention list or as ``@handle`` in the caption;
* ``link`` — the link text (scheme and ``www.`` dropped) in the caption or the post URL;
* ``promo_code`` — the code as a whole word in the caption (case-insensitive);
* ``keyword`` — the phrase on word boundaries in the caption, when the rule's language is ``*``
  or the caption's detected language (an undetermined language matches every rule);
* ``competitor`` — the brand name as a phrase, or its squashed form as a hashtag or mention.

A post by a placed creator that matches a brand rule is a **deliverable** (its placement, and the
deliverable kind its post kind fulfils); anyone else's brand post is **UGC**; a post that names
only competitors is a **competitor** mention. Deliverables get a disclosure verdict for their
placement's market (:mod:`microscout.tracking.disclosure`). Re-running is idempotent; posts
that no longer match (e.g. forgotten creators) are removed; self-reported proofs are kept.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from microscout.config import Settings
from microscout.errors import InvalidInputError
from microscout.markets import HOME_MARKET_SQL
from microscout.store import Store, utcnow
from microscout.text.language import get_identifier, settings_identifier
from microscout.tracking.campaigns import get_campaign
from microscout.tracking.disclosure import DisclosureRules, load_rules, phrase_pattern
from microscout.tracking.status import due_at, fulfils

__all__ = ["TrackSummary", "match_rules", "track_campaign"]

CHUNK = 5000
BRAND_KINDS = ("hashtag", "mention", "link", "promo_code", "keyword")


@dataclass
class TrackSummary:
    """What one tracking run found."""

    campaign_id: str
    scanned: int = 0
    deliverables: int = 0
    ugc: int = 0
    competitor: int = 0
    disclosure_issues: int = 0
    removed: int = 0
    texts_scored: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _squash(text: str) -> str:
    return re.sub(r"\W+", "", text.lower())


def _phrase(text: str) -> re.Pattern[str]:
    return phrase_pattern(text)


def match_rules(post: dict[str, Any], rules: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """(brand rules matched, competitor names matched) for one post (see the module doc)."""
    caption = (post.get("caption") or "").lower()
    tags = {str(h).lstrip("#").lower() for h in post.get("hashtags") or []} | set(re.findall(r"#(\w+)", caption))
    mentions = {str(m).lstrip("@").lower() for m in post.get("mentions") or []} | set(re.findall(r"@([\w.]+)", caption))
    url = (post.get("url") or "").lower()
    language = post.get("language") or "und"
    brand: list[dict[str, Any]] = []
    competitors: list[str] = []
    for r in rules:
        kind, value = r["kind"], str(r["value"])
        if kind == "hashtag":
            hit = value in tags
        elif kind == "mention":
            hit = value in mentions
        elif kind == "link":
            hit = value in caption or value in url
        elif kind == "promo_code":
            hit = _phrase(value).search(caption) is not None
        elif kind == "keyword":
            lang_ok = r.get("language") in (None, "*", language) or language == "und"
            hit = lang_ok and _phrase(value).search(caption) is not None
        elif kind == "competitor":
            squashed = _squash(value)
            hit = _phrase(value).search(caption) is not None or squashed in tags or squashed in mentions
            if hit:
                competitors.append(value)
            continue
        else:
            continue
        if hit:
            brand.append(r)
    return brand, competitors


def _candidate_sql(rules: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """A SQL predicate over posts keeping those that may match a rule (a superset)."""
    tags = sorted({r["value"] for r in rules if r["kind"] == "hashtag"} | {
        _squash(r["value"]) for r in rules if r["kind"] == "competitor"
    })  # fmt: skip
    mentions = sorted({r["value"] for r in rules if r["kind"] == "mention"} | {
        _squash(r["value"]) for r in rules if r["kind"] == "competitor"
    })  # fmt: skip
    terms = sorted(
        {str(r["value"]).lower() for r in rules if r["kind"] in ("link", "promo_code", "keyword", "competitor")}
        | {f"#{t}" for t in tags}
        | {f"@{m}" for m in mentions}
    )
    parts = [
        "len(list_intersect(list_transform(coalesce(p.hashtags, []), x -> lower(x)), ?::VARCHAR[])) > 0",
        "len(list_intersect(list_transform(coalesce(p.mentions, []), x -> lower(x)), ?::VARCHAR[])) > 0",
        "list_bool_or(list_transform(?::VARCHAR[], t -> contains(lower(coalesce(p.caption, '')), t)))",
        "list_bool_or(list_transform(?::VARCHAR[], t -> contains(lower(coalesce(p.url, '')), t)))",
    ]
    links = sorted({r["value"] for r in rules if r["kind"] == "link"}) or [""]
    return "(" + " OR ".join(parts) + ")", [tags, mentions, terms or ["\x00"], links if links != [""] else ["\x00"]]


def _market_sql() -> str:
    return f"LEFT JOIN ({HOME_MARKET_SQL}) m ON m.platform = p.platform AND m.creator_id = p.creator_id "


def _fits(platform: str, post_kind: str | None, kinds: list[str]) -> bool:
    return any(fulfils(platform, post_kind or "", k) for k in kinds)


def _window(campaign: dict[str, Any]) -> tuple[dt.datetime, dt.datetime | None]:
    start = dt.datetime.combine(campaign["start_date"], dt.time())
    end = campaign["closed_at"] if campaign["status"] == "closed" else None
    return start, end


def _rows(store: Store, campaign: dict[str, Any], rules: list[dict[str, Any]]) -> Any:
    start, end = _window(campaign)
    predicate, params = _candidate_sql(rules)
    sql = (
        "SELECT p.platform, p.post_id, p.creator_id, p.kind, p.caption, p.hashtags, p.mentions, p.url, "
        "p.published_at, p.is_sponsored, p.location_country, s.language, c.declared_country, m.home "
        "FROM posts p LEFT JOIN post_signals s ON s.platform = p.platform AND s.post_id = p.post_id "
        "LEFT JOIN creators c ON c.platform = p.platform AND c.creator_id = p.creator_id "
        + _market_sql()
        + f"WHERE p.published_at >= ? {'AND p.published_at < ?' if end else ''} AND {predicate} "
        "ORDER BY p.platform, p.post_id"
    )
    args: list[Any] = [start, *([end] if end else []), *params]
    cur = store.raw.execute(sql, args)
    cols = [d[0] for d in cur.description]
    while batch := cur.fetchmany(CHUNK):
        yield [dict(zip(cols, r, strict=True)) for r in batch]


def _classify(
    post: dict[str, Any],
    rules: list[dict[str, Any]],
    placements: dict[tuple[str, str], list[dict[str, Any]]],
    disclosure: DisclosureRules,
) -> dict[str, Any] | None:
    brand, competitors = match_rules(post, rules)
    if not brand and not competitors:
        return None
    key = (post["platform"], post["creator_id"])
    placed = placements.get(key, [])
    row: dict[str, Any] = {
        "platform": post["platform"],
        "post_id": post["post_id"],
        "creator_id": post["creator_id"],
        "matched": json.dumps([{"kind": r["kind"], "value": r["value"]} for r in brand], ensure_ascii=False),
        "competitors": sorted(set(competitors)),
        "language": post.get("language"),
        "published_at": post["published_at"],
        "self_reported": False,
        "placement_id": None,
        "deliverable_kind": None,
        "on_time": None,
        "disclosure": None,
        "disclosure_found": None,
    }
    if brand and placed:
        own = {r.get("placement_id") for r in brand if r.get("placement_id")}
        fits = [p for p in placed if _fits(post["platform"], post.get("kind"), p["kinds"])]
        placement = next((p for p in placed if p["placement_id"] in own), (fits or placed)[0])
        verdict = disclosure.check(
            post.get("caption"), post.get("hashtags"), platform=post["platform"], market=placement["market"],
            platform_flag=post.get("is_sponsored"),
        )  # fmt: skip
        deadline = due_at(placement["due_date"])
        row.update(
            role="deliverable",
            placement_id=placement["placement_id"],
            deliverable_kind=post.get("kind"),
            market=placement["market"],
            on_time=None if deadline is None else post["published_at"] < deadline,
            disclosure=verdict.status,
            disclosure_found=json.dumps(
                {"found": verdict.found, "accepted_options": verdict.accepted_options}, ensure_ascii=False
            ),
        )
    else:
        row["role"] = "ugc" if brand else "competitor"
        row["market"] = post.get("home") or post.get("declared_country") or post.get("location_country")
    return row


def _placements(campaign: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for p in campaign["placements"]:
        if p["creator_id"] and p["status"] != "removed":
            out[(p["platform"], p["creator_id"])].append({**p, "kinds": [str(d["kind"]) for d in p["deliverables"]]})
    return out


def track_campaign(
    store: Store,
    workspace: str,
    campaign_ref: str,
    *,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
    score_texts: bool = True,
) -> TrackSummary:
    """Classify the campaign's posts into ``campaign_posts`` and score new texts (idempotent)."""
    now = now or utcnow()
    campaign = get_campaign(store, workspace, campaign_ref)
    cid = campaign["campaign_id"]
    rules = [r for r in campaign["rules"] if r["kind"] in (*BRAND_KINDS, "competitor")]
    if not rules:
        raise InvalidInputError(f"campaign {campaign['name']!r} has no tracking rules")
    disclosure = load_rules(settings.reference_dir if settings else None)
    placements = _placements(campaign)
    summary = TrackSummary(cid)
    found: list[dict[str, Any]] = []
    ident = settings_identifier(settings) if settings else get_identifier()
    for batch in _rows(store, campaign, rules):
        summary.scanned += len(batch)
        unknown = [p for p in batch if p.get("language") is None and p.get("caption")]
        for post, (lang, _conf) in zip(unknown, ident.identify([p["caption"] for p in unknown]), strict=True):
            post["language"] = lang  # posts ingested since the last profile run
        for post in batch:
            row = _classify(post, rules, placements, disclosure)
            if row is not None:
                found.append(row)
    _write(store, workspace, cid, found, now, summary)
    for row in found:
        if row["role"] == "deliverable":
            summary.deliverables += 1
            summary.disclosure_issues += row["disclosure"] != "accepted"
        elif row["role"] == "ugc":
            summary.ugc += 1
        else:
            summary.competitor += 1
    if score_texts:
        from microscout.tracking.perception import score_campaign_texts

        summary.texts_scored = score_campaign_texts(store, workspace, cid, settings=settings)
    return summary


def _write(
    store: Store, workspace: str, cid: str, rows: list[dict[str, Any]], now: dt.datetime, summary: TrackSummary
) -> None:
    existing = {
        (p, pid): at
        for p, pid, at in store.raw.execute(
            "SELECT platform, post_id, classified_at FROM campaign_posts WHERE workspace_id = ? AND campaign_id = ? "
            "AND NOT coalesce(self_reported, false)",
            [workspace, cid],
        ).fetchall()
    }
    keep = {(r["platform"], r["post_id"]) for r in rows}
    stale = [k for k in existing if k not in keep]
    for r in rows:
        r["campaign_id"] = cid
        r["classified_at"] = existing.get((r["platform"], r["post_id"])) or now
    with store.transaction():
        for platform, post_id in stale:
            store.raw.execute(
                "DELETE FROM campaign_posts WHERE workspace_id = ? AND campaign_id = ? "
                "AND platform = ? AND post_id = ?",
                [workspace, cid, platform, post_id],
            )
        if rows:
            store.insert_rows("campaign_posts", rows, workspace=workspace)
    summary.removed = len(stale)
