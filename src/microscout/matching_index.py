"""The brief matcher in memory, for a server answering many briefs over a million creators.

:func:`microscout.matching.search` scores a brief inside the engine (one SQL query, compiled once
per topic mode); at a million creators the engine reads the niche-score and audience tables for
every brief, about a second on two cores. :class:`BriefIndex` loads the same inputs once — the
creators joined with their profiles as Arrow columns, the niche scores as a creators × niches
matrix and the audience shares as a sparse creators × countries matrix — and answers a brief with
vectorised NumPy: filters are boolean masks, topic fit is a matrix product (or a max) over the
niche columns the brief asks for, the target-market audience share a sparse sum. Scores, reasons
and the competitor check (:func:`microscout.matching.with_competitors`, on the store) are the
engine's; a test keeps the two identical. The server builds one when a brief is first searched and
drops it after every job that writes public data, like the creator index.
"""

from __future__ import annotations

import threading
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from microscout.brief import Brief
from microscout.discovery import float_values
from microscout.store import Store

__all__ = ["BriefIndex"]

_KEYS = ["platform", "creator_id"]
_BASE = ("handle", "display_name", "declared_country", "declared_language", "followers")


def _codes(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, dict[str, int]]:
    encoded = pc.dictionary_encode(column).combine_chunks()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, {str(v): i for i, v in enumerate(encoded.dictionary.to_pylist())}


def _distinct(column: ibis.Column) -> list[str]:
    values = column.name("v").as_table().distinct().to_pyarrow().column("v").to_pylist()
    return sorted(str(v) for v in values if v is not None)


def _member(codes: np.ndarray, lookup: dict[str, int], values: list[str] | set[str]) -> np.ndarray:
    """codes ∈ values (NULL, code -1, is never a member)."""
    table = np.zeros(len(lookup) + 1, dtype=bool)  # the last slot answers -1
    table[[lookup[v] for v in values if v in lookup]] = True
    return table[codes]


class BriefIndex:
    """Every profiled creator's matching inputs in memory (see the module docstring)."""

    def __init__(
        self,
        rows: pa.Table,
        niches: list[str],
        niche_scores: np.ndarray,
        audience: tuple[np.ndarray, np.ndarray, np.ndarray],
        countries: list[str],
        recent: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.rows = rows.combine_chunks()
        self.size = self.rows.num_rows
        self.niches = {n: i for i, n in enumerate(niches)}
        self.niche_scores = niche_scores  # size × niches, NaN where a creator has no score
        self.countries = {c: i for i, c in enumerate(countries)}
        aud_row, aud_country, aud_share = audience  # one entry per (creator, country)
        order = np.argsort(aud_country, kind="stable")
        bounds = np.searchsorted(aud_country[order], np.arange(len(countries) + 1))
        self.aud_by_country = {
            code: (aud_row[order[bounds[code] : bounds[code + 1]]], aud_share[order[bounds[code] : bounds[code + 1]]])
            for code in range(len(countries))
        }
        col = self.rows.column
        self.platform, self.platform_codes = _codes(col("platform"))
        self.tier, self.tier_codes = _codes(col("tier"))
        country = pc.coalesce(col("home_market"), col("declared_country"))
        language = pc.coalesce(col("content_language"), col("declared_language"))
        self.market_country = country
        self.main_language = language
        self.country, self.country_codes = _codes(country)
        self.language, self.language_codes = _codes(language)
        self.num = {
            name: float_values(col(name))
            for name in (
                "followers", "aqs", "er_posterior", "er_posterior_percentile", "suspicious_share", "unsafe_post_share",
            )
        }  # fmt: skip
        self.platform_names = {code: name for name, code in self.platform_codes.items()}
        names = sorted(self.platform_codes)
        by_name = np.zeros(len(names) + 1, dtype=np.int32)  # ties sort by platform name, as in SQL
        for rank, name in enumerate(names):
            by_name[self.platform_codes[name]] = rank
        self.platform_rank = by_name[self.platform]
        self.handle_lower = np.asarray(pc.utf8_lower(col("handle").fill_null("")).to_numpy(zero_copy_only=False))
        self.handles = np.asarray(col("handle").fill_null("").to_numpy(zero_copy_only=False))
        self.creator_ids = np.asarray(col("creator_id").to_numpy(zero_copy_only=False))
        # each creator's 30 most recent posts as row ids of the posts table (CSR: creator i owns
        # recent_ids[recent_ptr[i]:recent_ptr[i + 1]]), read back for the competitor check
        self.recent_ptr: np.ndarray = recent[0] if recent is not None else np.zeros(self.size + 1, np.int64)
        self.recent_ids: np.ndarray | None = recent[1] if recent is not None else None
        self._lock = threading.Lock()

    # ---- building --------------------------------------------------------------------------
    @classmethod
    def build(cls, store: Store) -> BriefIndex:
        """Load the index from ``store`` (three streamed queries)."""
        from microscout.matching_query import PROFILE_COLUMNS

        creators = store.table("creators").select(*_KEYS, *_BASE)
        profiles = store.table("creator_profiles").select(*_KEYS, *PROFILE_COLUMNS)
        base = creators.join(profiles, _KEYS)
        base = base.mutate(_row=ibis.row_number().over(order_by=[base.platform, base.creator_id]))
        rows = pa.Table.from_batches(list(store.batches(base.order_by("_row"))))
        keys = base.select(*_KEYS, "_row")
        scores = store.table("creator_niche_scores")
        s = scores.join(keys, _KEYS).select("_row", "niche", "score")
        niches = _distinct(scores.niche)
        matrix = np.full((rows.num_rows, len(niches)), np.nan, dtype=np.float64)
        for batch in store.batches(s, 500_000):
            r = batch.column("_row").to_numpy().astype(np.int64)
            n = pc.index_in(batch.column("niche"), value_set=pa.array(niches)).to_numpy(zero_copy_only=False)
            matrix[r, n.astype(np.int64)] = float_values(batch.column("score"))
        markets = store.table("creator_markets")
        aud = markets.filter(markets.kind == "audience")
        countries = _distinct(aud.country)
        aud = aud.join(keys, _KEYS).select("_row", "country", "share")
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for batch in store.batches(aud, 500_000):
            codes = pc.index_in(batch.column("country"), value_set=pa.array(countries)).to_numpy(zero_copy_only=False)
            parts.append(
                (
                    batch.column("_row").to_numpy().astype(np.int64),
                    codes.astype(np.int32),
                    float_values(batch.column("share")),
                )
            )
        audience = (
            np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64),
            np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=np.int32),
            np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, dtype=np.float64),
        )
        return cls(
            rows.drop_columns(["_row"]), niches, matrix, audience, countries, _recent_posts(store, keys, len(rows))
        )

    def competitor_posts(
        self, store: Store, rows: list[dict[str, Any]], terms: list[str]
    ) -> dict[tuple[str, str], int]:
        """How many of their 30 most recent posts name a term (lower case, substring of the lower-cased
        caption), for the creators of ``rows``: their recent posts are read by row id (milliseconds,
        where scanning the posts for their creator ids takes a fraction of a second at ten million
        posts). Row ids move only when the posts table is rewritten, which the server follows by
        rebuilding the index; should a row read back belong to another creator, the engine answers
        instead (:func:`microscout.matching.competitor_posts`)."""
        from microscout.matching_query import competitor_posts

        if self.recent_ids is None:
            return competitor_posts(store, rows, terms)
        wanted: list[np.ndarray] = []
        owner: list[np.ndarray] = []
        for r in rows:
            i = r.get("_index_row")
            if i is None:  # not a row of this index
                return competitor_posts(store, rows, terms)
            ids = self.recent_ids[self.recent_ptr[i] : self.recent_ptr[i + 1]]
            wanted.append(ids)
            owner.append(np.full(len(ids), i, dtype=np.int64))
        ids = np.concatenate(wanted) if wanted else np.zeros(0, dtype=np.int64)
        expected = dict(zip(ids.tolist(), np.concatenate(owner).tolist() if owner else [], strict=True))
        store.raw.register("_ms_rowids", pa.table({"rid": ids}))
        try:
            found = store.raw.sql(
                "SELECT p.rowid AS rid, p.platform, p.creator_id, p.caption FROM posts AS p "
                "JOIN _ms_rowids AS w ON p.rowid = w.rid"
            ).fetchall()
        finally:
            store.raw.unregister("_ms_rowids")
        if len(found) != len(ids):
            return competitor_posts(store, rows, terms)
        counts: dict[tuple[str, str], int] = {}
        for rid, platform, creator_id, caption in found:
            i = expected[rid]
            if self.platform_names[self.platform[i]] != platform or self.creator_ids[i] != creator_id:
                return competitor_posts(store, rows, terms)  # the posts table moved since the build
            text = (caption or "").lower()
            if any(t in text for t in terms):
                counts[(platform, creator_id)] = counts.get((platform, creator_id), 0) + 1
        return counts

    # ---- answering -------------------------------------------------------------------------
    def ranker(
        self,
        brief: Brief,
        *,
        mode: str,
        niches: dict[str, float],
        seed: tuple[str, str] | None,
        topic_available: bool,
        prices: dict[tuple[str, str, str], float],
    ) -> Any:
        """A function ``n → (best n rows by the score before any competitor penalty, candidates)``
        with the columns and values of the engine's query (:func:`microscout.matching.scored_expr`)."""
        num = self.num
        countries = [m.country for m in brief.markets]
        languages = sorted({x for m in brief.markets for x in m.languages})
        # cheap filters over every creator first; everything else over the survivors only
        keep = _member(self.platform, self.platform_codes, list(brief.platforms))
        keep &= (num["followers"] >= brief.followers.min) & (num["followers"] <= brief.followers.max)
        idx = np.flatnonzero(keep)
        # audience share in the target markets: NaN where the creator has no sampled audience there
        groups = [self.aud_by_country[self.countries[c]] for c in countries if c in self.countries]
        rows = np.concatenate([g[0] for g in groups]) if groups else np.zeros(0, dtype=np.int64)
        shares = np.concatenate([g[1] for g in groups]) if groups else np.zeros(0)
        present = (np.bincount(rows, minlength=self.size) > 0)[idx]
        target = np.where(present, np.bincount(rows, weights=shares, minlength=self.size)[idx], np.nan)
        target_filled = np.where(present, target, 0.0)
        in_country = _member(self.country[idx], self.country_codes, countries)
        speaks = _member(self.language[idx], self.language_codes, languages)
        in_market = in_country | (target_filled >= 0.5)
        keep = (in_market & speaks) if brief.content_language_required else (in_market | speaks)
        if brief.min_quality is not None:
            aqs = num["aqs"][idx]
            keep &= np.isnan(aqs) | (aqs >= brief.min_quality)
        for ref in brief.exclude_creators:
            platform, handle = ref.split(":", 1)
            code = self.platform_codes.get(platform, -2)
            keep &= ~((self.platform[idx] == code) & (self.handle_lower[idx] == handle.lower().lstrip("@")))
        if seed is not None:
            code = self.platform_codes.get(seed[0], -2)
            keep &= ~((self.platform[idx] == code) & (self.creator_ids[idx] == seed[1]))
        idx, target, target_filled = idx[keep], target[keep], target_filled[keep]
        in_country, speaks = in_country[keep], speaks[keep]
        total = len(idx)
        if total == 0:
            return lambda n: ([], 0)

        topic = self._topic(idx, mode, niches) if mode != "none" else None
        price = self._prices(idx, prices)
        authentic = (
            num["er_posterior"][idx] * num["followers"][idx] * (1.0 - np.nan_to_num(num["suspicious_share"][idx]))
        )
        deliverables = float(sum(d.count for d in brief.deliverables))
        with np.errstate(invalid="ignore", divide="ignore"):
            per_usd = np.where(price > 0, authentic * deliverables / price, np.nan)
        c_cost = _percent_rank(per_usd)
        c_market = np.where(in_country, 0.5, 0.0) + 0.3 * np.clip(target_filled, 0.0, 1.0) + np.where(speaks, 0.2, 0.0)
        c_engagement = num["er_posterior_percentile"][idx]
        c_authenticity = num["aqs"][idx] / 100.0
        any_aqs = bool(np.any(~np.isnan(c_authenticity)))
        weights = brief.normalised_weights()
        available = {
            "topic": topic_available,
            "market": True,
            "engagement": True,
            "authenticity": any_aqs,
            "cost": True,
        }
        used = {k: weights[k] * (1.0 if available[k] else 0.0) for k in weights}
        total_w = sum(used.values())
        total_w = total_w if total_w > 0 else 1.0
        components = {
            "topic": topic if topic is not None else np.full(total, np.nan),
            "market": c_market,
            "engagement": c_engagement,
            "authenticity": c_authenticity,
            "cost": c_cost,
        }
        raw = np.zeros(total)
        for k, w in used.items():
            raw = raw + np.nan_to_num(components[k], nan=0.0) * (100.0 * w)
        unsafe = np.clip(np.nan_to_num(num["unsafe_post_share"][idx]) * 2.0, 0.0, 0.5)
        score = raw / total_w * (1.0 - unsafe)
        extra = {
            "target_audience": target,
            "topic": topic if topic is not None else None,
            "price_usd": price,
            "per_usd": per_usd,
            **{f"c_{k}": v for k, v in components.items()},
        }
        scalars = {
            "_any_aqs": int(any_aqs),
            "_total": total,
            **{f"_w_{k}": used[k] / total_w for k in weights},
        }

        def ranked(n: int) -> tuple[list[dict[str, Any]], int]:
            order = self._order(idx, score, n)
            rows = self.rows.take(pa.array(idx[order])).to_pylist()
            for i, (r, pos) in enumerate(zip(rows, order, strict=True)):
                r["market_country"] = self.market_country[int(idx[pos])].as_py()
                r["main_language"] = self.main_language[int(idx[pos])].as_py()
                for name, values in extra.items():
                    r[name] = None if values is None else _py(values[pos])
                r["score"] = float(score[pos])
                r["_index_row"] = int(idx[pos])
                r.update(scalars)
                rows[i] = r
            return rows, total

        return ranked

    def _order(self, idx: np.ndarray, score: np.ndarray, n: int) -> np.ndarray:
        """Positions (into ``idx``) of the best ``n`` by score desc, then platform and handle."""
        if n < len(score):
            kth = np.partition(-score, n - 1)[n - 1]
            pool = np.flatnonzero(-score <= kth)  # the best n and any tied with the n-th
        else:
            pool = np.arange(len(score))
        rows = idx[pool]
        order = np.lexsort((self.handles[rows], self.platform_rank[rows], -score[pool]))
        return pool[order[:n]]

    def _topic(self, idx: np.ndarray, mode: str, niches: dict[str, float]) -> np.ndarray:
        cols = [self.niches[n] for n in niches if n in self.niches]
        if not cols:
            return np.full(len(idx), np.nan)
        m = self.niche_scores[np.ix_(idx, np.array(cols, dtype=np.int64))]
        have = ~np.isnan(m)
        some = have.any(axis=1)
        filled = np.where(have, m, 0.0)
        if mode == "max":
            best = np.where(have, m, -np.inf).max(axis=1)
            return np.where(some, np.clip(best, 0.0, 1.0), np.nan)
        w = np.array([niches[n] for n in niches if n in self.niches], dtype=np.float64)
        dot = filled @ w
        if mode == "sum":
            return np.where(some, np.clip(dot, 0.0, 1.0), np.nan)
        a = (filled * filled).sum(axis=1)
        b = (np.where(have, 1.0, 0.0) * (w * w)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = np.where((a > 0) & (b > 0), dot / (np.sqrt(a) * np.sqrt(b)), 0.0)
        return np.where(some, cos, np.nan)

    def _prices(self, idx: np.ndarray, prices: dict[tuple[str, str, str], float]) -> np.ndarray:
        """The rate-card price of each candidate's platform, tier and market (NaN where none; a
        creator without a market gets the card without a market multiplier, key "")."""
        table = np.full((len(self.platform_codes) + 1, len(self.tier_codes) + 1, len(self.country_codes) + 1), np.nan)
        for (platform, tier, country), price in prices.items():
            p, t = self.platform_codes.get(platform), self.tier_codes.get(tier)
            c = self.country_codes.get(country) if country else -1
            if p is not None and t is not None and c is not None:
                table[p, t, c] = price
        return table[self.platform[idx], self.tier[idx], self.country[idx]]


def _recent_posts(store: Store, keys: ibis.Table, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(pointers, row ids) of every creator's 30 most recent posts (by published_at, then post_id),
    ordered by creator row: one pass over the posts' keys and dates."""
    from microscout.matching_query import RECENT_POSTS

    store.con._run_pre_execute_hooks(keys)
    sql = (
        "SELECT k._row, p.rid FROM (SELECT platform, creator_id, rowid AS rid, row_number() OVER "
        "(PARTITION BY platform, creator_id ORDER BY published_at DESC, post_id) AS rn FROM posts) AS p "
        f"JOIN ({store.con.compile(keys)}) AS k USING (platform, creator_id) WHERE p.rn <= {int(RECENT_POSTS)} "
        "ORDER BY k._row, p.rn"
    )
    owners: list[np.ndarray] = []
    ids: list[np.ndarray] = []
    for batch in store.raw.sql(sql).to_arrow_reader(500_000):
        owners.append(batch.column(0).to_numpy().astype(np.int64))
        ids.append(batch.column(1).to_numpy().astype(np.int64))
    owner = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=size))]).astype(np.int64)
    return ptr, (np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64))


def _percent_rank(values: np.ndarray) -> np.ndarray:
    """SQL ``percent_rank() OVER (ORDER BY values)`` over every row (NULLs last), NULL where NULL."""
    n = len(values)
    known = ~np.isnan(values)
    ranks = np.searchsorted(np.sort(values[known]), values, side="left").astype(np.float64)
    out = ranks / (n - 1) if n > 1 else np.zeros(n)
    return np.where(known, out, np.nan)


def _py(value: Any) -> Any:
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value
