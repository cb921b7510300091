"""Market inference against the sample worlds' planted truth (``truth_creators``).

Top-1: the inferred home market equals the planted market. Off-market: the planted off-market
audiences (most followers in one or two foreign markets) against ``off_market``.
"""

from __future__ import annotations

from typing import Any

from microscout.store import Store


def market_accuracy(store: Store) -> dict[str, Any]:
    frame = store.raw.execute(
        """
        SELECT t.true_market, t.off_market AS true_off, p.home_market, p.off_market, p.content_language,
               t.true_language
        FROM truth_creators t JOIN creator_profiles p USING (platform, creator_id)
        """
    ).df()
    has = frame.home_market.notna()
    flagged = frame.off_market.fillna(False).astype(bool)
    truth = frame.true_off.astype(bool)
    tp = int((flagged & truth).sum())
    lang = frame.content_language.notna()
    return {
        "creators": len(frame),
        "with_market": int(has.sum()),
        "top1": float((frame.home_market[has] == frame.true_market[has]).mean()) if has.any() else None,
        "off_market": int(truth.sum()),
        "off_flagged": int(flagged.sum()),
        "off_precision": tp / int(flagged.sum()) if flagged.any() else None,
        "off_recall": tp / int(truth.sum()) if truth.any() else None,
        "content_language": float((frame.content_language[lang] == frame.true_language[lang]).mean())
        if lang.any()
        else None,
    }


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def section(worlds: list[tuple[str, Store]]) -> str:
    lines = [
        "## Markets: home market, off-market audiences and content language",
        "",
        "Measured by `microscout.evaluation.markets` after `microscout profile` on each evaluation "
        "world (method: [markets.md](markets.md)). Targets: top-1 market ≥ 0.90 on both worlds; "
        "off-market audiences flagged with precision and recall ≥ 0.85. The off-market threshold "
        "was set looking at world A; world B is the check.",
        "",
        "| world | creators | top-1 market | off-market (planted / flagged) | precision | recall | "
        "main caption language = planted |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, store in worlds:
        r = market_accuracy(store)
        lines.append(
            f"| {name} | {r['creators']:,} | {_fmt(r['top1'])} | {r['off_market']} / {r['off_flagged']} | "
            f"{_fmt(r['off_precision'])} | {_fmt(r['off_recall'])} | {_fmt(r['content_language'])} |"
        )
    lines.append("")
    return "\n".join(lines)
