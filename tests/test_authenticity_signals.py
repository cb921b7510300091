"""Creator-level authenticity checks and the AQS on small constructed stores (real DuckDB files)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import ibis

from microscout.authenticity.aqs import reasons, score_expr
from microscout.authenticity.pods import find_pods, pod_table
from microscout.metrics import profile_creators
from microscout.store import Store

NOW = dt.datetime(2026, 11, 1)
LAST = dt.datetime(2026, 10, 30, 12)


def creator(store: Store, cid: str, followers: int, *, weeks: int = 20, growth: float = 0.005,
            spike_week: int | None = None, spike: float = 0.0, likes: int = 300, comments: int = 10,
            viral_at_spike: bool = False) -> None:  # fmt: skip
    """A creator with weekly snapshots (an optional jump), 30 posts and nothing else."""
    store.insert_rows("creators", [{"platform": "instagram", "creator_id": cid, "handle": cid, "followers": followers}])
    snaps, f = [], followers / ((1 + growth) ** weeks * (1 + spike))
    for w in range(weeks + 1):
        if spike_week is not None and w == spike_week:
            f *= 1 + spike
        snaps.append({"platform": "instagram", "creator_id": cid, "observed_at": LAST - dt.timedelta(weeks=weeks - w),
                      "followers": round(f)})  # fmt: skip
        f *= 1 + growth
    store.insert_rows("creator_snapshots", snaps)
    posts = []
    for j in range(30):
        at = LAST - dt.timedelta(days=4 * j)
        mult = 1.0 + 0.2 * ((j * 7) % 5 - 2) / 2
        posts.append({"platform": "instagram", "post_id": f"{cid}-p{j}", "creator_id": cid, "published_at": at,
                      "likes": int(likes * mult), "comments": comments})  # fmt: skip
    if viral_at_spike and spike_week is not None:
        at = LAST - dt.timedelta(weeks=weeks - spike_week, days=1)
        posts.append({"platform": "instagram", "post_id": f"{cid}-viral", "creator_id": cid, "published_at": at,
                      "likes": likes * 20, "comments": comments * 20})  # fmt: skip
    store.insert_rows("posts", posts)


def followers_sample(store: Store, cid: str, p_fakes: list[float], mass: int = 0) -> None:
    store.insert_rows(
        "audience_edges",
        [{"platform": "instagram", "creator_id": cid, "account_id": f"{cid}-a{i}", "relation": "follower"}
         for i in range(len(p_fakes))],
    )  # fmt: skip
    store.insert_rows(
        "audience_scores",
        [{"platform": "instagram", "account_id": f"{cid}-a{i}", "p_fake": p, "mass_follower": i < mass,
          "model": "test"} for i, p in enumerate(p_fakes)],
    )  # fmt: skip


def comments(store: Store, cid: str, texts: list[str], authors: list[str] | None = None) -> None:
    authors = authors or [f"{cid}-u{i}" for i in range(len(texts))]
    store.insert_rows(
        "comments",
        [{"platform": "instagram", "comment_id": f"{cid}-c{i}", "post_id": f"{cid}-p{i % 30}", "author_id": a,
          "text": t} for i, (t, a) in enumerate(zip(texts, authors, strict=True))],
    )  # fmt: skip


def scored(store: Store) -> dict[str, dict[str, Any]]:
    profile_creators(store, now=NOW)
    pods = find_pods(store)
    store.replace_table("creator_pods", ibis.memtable(pod_table(pods)))
    frame = score_expr(store, store.table("creator_profiles")).to_pyarrow().to_pylist()
    return {r["creator_id"]: r for r in frame}


def points(row: dict[str, Any], check: str) -> float | None:
    value = json.loads(row["aqs_signals"])[check]
    return None if value is None else float(value)


def test_suspicious_share_interval_and_severity(store: Store) -> None:
    creator(store, "clean", 5000)
    creator(store, "bought", 5000)
    creator(store, "few", 5000)
    followers_sample(store, "clean", [0.05] * 200)
    followers_sample(store, "bought", [0.9] * 80 + [0.05] * 120)
    followers_sample(store, "few", [0.9] * 2 + [0.05] * 3)
    got = scored(store)
    clean, bought, few = got["clean"], got["bought"], got["few"]
    assert abs(bought["suspicious_share"] - (0.9 * 80 + 0.05 * 120) / 200) < 1e-9
    assert bought["suspicious_low"] < bought["suspicious_share"] < bought["suspicious_high"]
    assert points(clean, "suspicious_followers") == 0.0
    assert points(bought, "suspicious_followers") > 40
    assert bought["aqs"] < 70 <= clean["aqs"]
    # 5 followers is below the minimum sample: not measured, and the interval is wider
    assert few["suspicious_share"] is None and points(few, "suspicious_followers") is None
    assert few["aqs_high"] - few["aqs_low"] > clean["aqs_high"] - clean["aqs_low"]
    assert any("not measured" in r for r in reasons(few))
    assert "of 200 sampled followers look fake" in reasons(bought)[0]


def test_interval_shrinks_with_sample_size(store: Store) -> None:
    for n in (20, 80, 320):
        creator(store, f"n{n}", 5000)
        followers_sample(store, f"n{n}", [0.9] * (n // 4) + [0.05] * (n - n // 4))
    got = scored(store)
    widths = [got[f"n{n}"]["suspicious_high"] - got[f"n{n}"]["suspicious_low"] for n in (20, 80, 320)]
    assert widths[0] > widths[1] > widths[2] > 0
    # never narrower than the classifier's calibration error allows
    assert widths[2] > 2 * 1.64 * 0.03 * 0.99


def test_growth_spike_unexplained_vs_viral(store: Store) -> None:
    creator(store, "steady", 20000)
    creator(store, "jump", 20000, spike_week=12, spike=0.4)
    creator(store, "viral", 20000, spike_week=12, spike=0.4, viral_at_spike=True)
    for cid in ("steady", "jump", "viral"):
        followers_sample(store, cid, [0.3] * 50)  # a suspicious-looking sample: nothing explains the jump
    got = scored(store)
    assert points(got["steady"], "growth_spike") == 0.0
    jump = got["jump"]
    assert jump["spike_z"] > 6 and jump["spike_followers"] > 4000
    assert points(jump, "growth_spike") > 30
    assert points(got["viral"], "growth_spike") < 0.3 * points(jump, "growth_spike")
    assert got["viral"]["spike_engagement_ratio"] >= 8
    assert "without matching engagement" in " ".join(reasons(jump))


def test_clean_follower_sample_softens_an_unexplained_jump(store: Store) -> None:
    creator(store, "clean_jump", 20000, spike_week=12, spike=0.4)
    creator(store, "fake_jump", 20000, spike_week=12, spike=0.4)
    followers_sample(store, "clean_jump", [0.02] * 60)
    followers_sample(store, "fake_jump", [0.4] * 60)
    got = scored(store)
    assert points(got["clean_jump"], "growth_spike") < points(got["fake_jump"], "growth_spike")


def test_generic_and_emoji_only_comments_in_several_languages(store: Store) -> None:
    creator(store, "talk", 5000)
    creator(store, "bots", 5000)
    real = ["where did you buy that jacket?", "¿dónde compraste esa chaqueta?", "welche Größe trägst du?"] * 5
    generic = ["🔥🔥🔥", "Nice post!!", "amei", "bellissimo 😍", "keren banget", "😍", "すごい", "great pic"] * 2
    comments(store, "talk", real)
    comments(store, "bots", generic)
    got = scored(store)
    assert got["talk"]["generic_comment_share"] == 0.0
    assert got["bots"]["generic_comment_share"] == 1.0
    assert points(got["bots"], "generic_comments") == 20.0
    # a "class" is not generic because "ass" is not in the list: whole-comment matching only
    creator(store, "edge", 5000)
    comments(store, "edge", ["nice class today, learned a lot"] * 12)
    assert scored(store)["edge"]["generic_comment_share"] == 0.0


def test_pods_found_from_shared_commenters(store: Store) -> None:
    ring = [f"ring{i}" for i in range(12)]
    for k in range(4):
        cid = f"pod{k}"
        creator(store, cid, 8000)
        comments(store, cid, ["nice"] * 20, [ring[(i + k) % 12] for i in range(20)])
    for k in range(3):
        cid = f"solo{k}"
        creator(store, cid, 8000)
        comments(store, cid, ["what lens is this?"] * 20, [f"{cid}-fan{i}" for i in range(20)])
    got = scored(store)
    pod_ids = {got[f"pod{k}"]["pod_id"] for k in range(4)}
    assert len(pod_ids) == 1 and None not in pod_ids
    assert all(got[f"pod{k}"]["pod_size"] == 4 for k in range(4))
    assert all(got[f"solo{k}"]["pod_id"] is None for k in range(3))
    assert points(got["pod0"], "pod") > 20 and points(got["solo0"], "pod") == 0.0
    assert any("engagement pod" in r for r in reasons(got["pod0"]))


def test_mass_followers_share(store: Store) -> None:
    creator(store, "massy", 5000)
    followers_sample(store, "massy", [0.05] * 40, mass=30)
    got = scored(store)
    assert got["massy"]["mass_follower_share"] == 0.75
    assert points(got["massy"], "mass_followers") > 10


def test_weights_are_settings(store: Store) -> None:
    creator(store, "bought", 5000)
    followers_sample(store, "bought", [0.9] * 100)
    default = scored(store)["bought"]["aqs"]
    store.settings = store.settings.model_copy(update={"aqs_weights": {"suspicious_followers": 10.0}})
    lighter = scored(store)["bought"]["aqs"]
    assert lighter == 90.0 and default == 40.0
