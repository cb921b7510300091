"""Disclosure compliance per market, from the reference table ``disclosure_tags``.

For a deliverable published for market ``M`` on platform ``P`` the applicable rows are those for
``M`` or ``*`` and for ``P`` or ``*``; a row for ``M`` overrides a ``*`` row with the same kind and
tag (``#collab`` is ambiguous everywhere but accepted in India, say). A post is

* ``accepted`` — it carries at least one accepted disclosure: a hashtag (in the caption or the
  hashtag list), a phrase (in the caption, case-insensitive, on word boundaries) or the platform's
  paid-partnership flag (``posts.is_sponsored`` when the source reports that label);
* ``ambiguous`` — it carries only tags the guidance calls insufficient (``#sp``, ``#collab`` …);
* ``missing`` — it carries none.

>>> rules = DisclosureRules([
...     {"market": "BR", "platform": "*", "kind": "hashtag", "tag": "#publi", "accepted": 1},
...     {"market": "*", "platform": "*", "kind": "hashtag", "tag": "#collab", "accepted": 0}])
>>> rules.check("Meu protetor favorito #collab", ["collab"], platform="instagram", market="BR").status
'ambiguous'
>>> rules.check("Meu protetor #publi", [], platform="instagram", market="BR").status
'accepted'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from microscout.reference import load_table

__all__ = ["DisclosureResult", "DisclosureRules", "load_rules", "phrase_pattern"]


@dataclass(frozen=True)
class DisclosureResult:
    """The verdict for one post: status, what was found, and what the market accepts."""

    status: str
    found: list[str] = field(default_factory=list)
    accepted_options: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.status == "accepted":
            return f"disclosed ({', '.join(self.found)})"
        found = f"found {', '.join(self.found)} (not accepted); " if self.found else ""
        return f"{found}accepted: {', '.join(self.accepted_options[:6]) or 'no rule for this market'}"


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A case-insensitive pattern for ``phrase`` on word boundaries — except in CJK text, which
    has no spaces between words, where the phrase matches anywhere."""
    text = re.escape(" ".join(phrase.split()).lower())
    return re.compile(text if _CJK.search(phrase) else rf"(?<!\w){text}(?!\w)")


def _norm(kind: str, tag: str) -> str:
    text = " ".join(str(tag).split()).lower()
    return text.lstrip("#") if kind == "hashtag" else text


class DisclosureRules:
    """The disclosure table, indexed for fast checks."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = [
            {
                "market": str(r.get("market") or "*"),
                "platform": str(r.get("platform") or "*"),
                "kind": str(r["kind"]),
                "tag": _norm(str(r["kind"]), str(r["tag"])),
                "label": str(r["tag"]),
                "accepted": int(r.get("accepted", 1) or 0) == 1,
            }
            for r in rows
        ]
        self._cache: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def applicable(self, platform: str, market: str | None) -> list[dict[str, Any]]:
        """Rows for this platform and market, market-specific rows overriding ``*`` rows."""
        key = (platform, market or "*")
        if key not in self._cache:
            chosen: dict[tuple[str, str], dict[str, Any]] = {}
            for specific in (False, True):
                for r in self.rows:
                    if r["platform"] not in ("*", platform):
                        continue
                    if (r["market"] == market) == specific and (specific or r["market"] == "*"):
                        chosen[(str(r["kind"]), str(r["tag"]))] = r
            self._cache[key] = list(chosen.values())
        return self._cache[key]

    def accepted_options(self, platform: str, market: str | None) -> list[str]:
        rows = self.applicable(platform, market)
        tags = [r["label"] for r in rows if r["accepted"] and r["kind"] != "platform_flag"]
        flags = [f"platform label '{r['label']}'" for r in rows if r["accepted"] and r["kind"] == "platform_flag"]
        return tags + flags

    def check(
        self,
        caption: str | None,
        hashtags: list[str] | None,
        *,
        platform: str,
        market: str | None,
        platform_flag: bool | None = None,
    ) -> DisclosureResult:
        text = (caption or "").lower()
        tags = {str(h).lstrip("#").lower() for h in hashtags or []}
        tags |= {m.lower() for m in re.findall(r"#(\w+)", text)}
        found_ok: list[str] = []
        found_weak: list[str] = []
        for r in self.applicable(platform, market):
            hit = False
            if r["kind"] == "hashtag":
                hit = r["tag"] in tags
            elif r["kind"] == "phrase":
                hit = phrase_pattern(r["tag"]).search(text) is not None
            elif r["kind"] == "platform_flag":
                hit = bool(platform_flag)
            if hit:
                label = r["label"] if r["kind"] != "platform_flag" else f"platform label '{r['label']}'"
                (found_ok if r["accepted"] else found_weak).append(label)
        options = self.accepted_options(platform, market)
        if found_ok:
            return DisclosureResult("accepted", sorted(set(found_ok)), options)
        if found_weak:
            return DisclosureResult("ambiguous", sorted(set(found_weak)), options)
        return DisclosureResult("missing", [], options)


def load_rules(reference_dir: Path | str | None = None) -> DisclosureRules:
    """The disclosure rules from the shipped table or the user's override (re-read when it changes)."""
    return DisclosureRules(
        load_table("disclosure_tags", reference_dir=Path(reference_dir) if reference_dir else None).rows
    )
