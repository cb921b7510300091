"""Evaluation of campaign tracking on a simulated executed campaign (``make eval``).

On each evaluation world the example brief is planned and booked as the demo does, the campaign is
simulated (:mod:`microscout.sample.campaign` plants deliverables — some late, missing, undisclosed
or ambiguously disclosed — UGC, competitor-only posts, replies and quotes, labelled comments and
orders) and tracked; the planted truth (``truth_campaign.json``) is then compared with what
tracking found:

* **roles** — precision and recall of deliverable, UGC and competitor classification (replies and
  quotes, which carry no campaign term, must stay unclassified);
* **disclosure** — the verdict (accepted / ambiguous / missing) against the disclosure planted;
* **slots** — per placement, the counts of delivered, late and missing slots;
* **sales** — orders attributed to the placement whose code they carry;
* **comment sentiment** — the model's label against the phrase bank's label, per language (short
  comments of the project's phrase banks: an in-world check, not a benchmark — see the sentiment
  section for the real-data figure).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from microscout.brief import load_brief
from microscout.config import Settings
from microscout.demo_campaign import book_campaign, execute_campaign
from microscout.sample._common import NOW
from microscout.store import Store
from microscout.tracking import deliverable_status

EXAMPLE_BRIEF = Path(__file__).resolve().parents[3] / "examples" / "brief.yaml"
ROLES = ("deliverable", "ugc", "competitor")


def _f(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def evaluate_world(store: Store, root: Path) -> dict[str, Any]:
    """Book, simulate and track a campaign on ``store``; compare with the planted truth."""
    now = NOW.replace(tzinfo=None)
    settings = Settings(db=str(store.location))
    booked = book_campaign(store, load_brief(EXAMPLE_BRIEF), settings=settings, now=now)
    cid = booked.campaign_id
    paths, _sales = execute_campaign(store, cid, root / "campaign", settings=settings, now=now)
    truth = json.loads(paths["truth"].read_text(encoding="utf-8"))
    ws = settings.workspace
    found = {
        pid: (role, disclosure)
        for pid, role, disclosure in store.raw.execute(
            "SELECT post_id, role, disclosure FROM campaign_posts WHERE workspace_id = ? AND campaign_id = ?",
            [ws, cid],
        ).fetchall()
    }
    planted = {p["post_id"]: p for p in truth["posts"]}
    roles = {}
    for role in ROLES:
        want = {k for k, p in planted.items() if p["role"] == role}
        got = {k for k, (r, _d) in found.items() if r == role and k in planted}
        tp = len(want & got)
        roles[role] = {
            "n": len(want),
            "precision": tp / len(got) if got else None,
            "recall": tp / len(want) if want else None,
        }
    stray = sum(1 for k, p in planted.items() if p["role"] == "word_of_mouth" and k in found)
    disclosure = [(p["disclosure"], found.get(k, (None, None))[1]) for k, p in planted.items() if "disclosure" in p]
    disclosure_acc = sum(1 for a, b in disclosure if a == b) / len(disclosure) if disclosure else None
    confusion = Counter(disclosure)
    want_slots: dict[str, Counter[str]] = defaultdict(Counter)
    for slot in truth["slots"]:
        want_slots[slot["placement_id"]][slot["status"]] += 1
    got_slots: dict[str, Counter[str]] = defaultdict(Counter)
    for slot in deliverable_status(store, ws, cid, now=now):
        if slot["status"] in ("delivered", "late", "missing"):
            got_slots[slot["placement_id"]][slot["status"]] += 1
    placements_exact = sum(1 for pid, c in want_slots.items() if got_slots.get(pid, Counter()) == c)
    owners = {o["order_id"]: o["placement_id"] for o in truth["orders"]}
    attributed = dict(
        store.raw.execute(
            "SELECT order_id, placement_id FROM campaign_sales WHERE workspace_id = ? AND campaign_id = ?", [ws, cid]
        ).fetchall()
    )
    sales_ok = sum(1 for o, pid in owners.items() if o in attributed and attributed[o] == pid)
    labels = {c["comment_id"]: (c["label"], c["language"]) for c in truth["comments"]}
    per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for text_id, label in store.raw.execute(
        "SELECT text_id, sentiment FROM campaign_texts WHERE workspace_id = ? AND campaign_id = ? "
        "AND text_kind = 'comment'",
        [ws, cid],
    ).fetchall():
        if text_id in labels:
            want_label, lang = labels[text_id]
            per_lang[lang][0] += int(label == want_label)
            per_lang[lang][1] += 1
    return {
        "placements": len(want_slots),
        "posts": len(planted),
        "roles": roles,
        "stray_word_of_mouth": stray,
        "disclosure_accuracy": disclosure_acc,
        "disclosure_n": len(disclosure),
        "disclosure_confusion": {f"{a}→{b}": n for (a, b), n in sorted(confusion.items(), key=str)},
        "slots_exact": placements_exact / len(want_slots) if want_slots else None,
        "sales_correct": sales_ok / len(owners) if owners else None,
        "orders": len(owners),
        "sentiment_by_language": {k: (v[0] / v[1], v[1]) for k, v in sorted(per_lang.items()) if v[1]},
        "notes": booked.notes,
    }


def section(worlds: list[tuple[str, Store]]) -> str:
    """The tracking section of docs/accuracy.md."""
    results = []
    for name, store in worlds:
        with tempfile.TemporaryDirectory(prefix="microscout-track-") as tmp:
            results.append((name, evaluate_world(store, Path(tmp))))
    lines = [
        "## Campaign tracking",
        "",
        "A simulated executed campaign per world (`microscout.evaluation.tracking`): the example brief planned and "
        "booked as `make demo` does, then deliverables (15 % missing, 15 % of the rest late; disclosure 70 % accepted "
        "tag, 15 % ambiguous, 15 % none), UGC in every market's language, competitor-only posts, replies and quotes, "
        "labelled comments and orders are planted and tracked. Measured against the planted truth. The simulation "
        "plants no adversarial cases (misspelt brand names, unrelated uses of a hashtag, disclosure hidden in a "
        "comment): these figures check the pipeline end to end; the edge cases are tests (`tests/test_tracking.py`).",
        "",
        "| world | posts | role | n | precision | recall |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for name, r in results:
        for role in ROLES:
            m = r["roles"][role]
            lines.append(f"| {name} | {r['posts']} | {role} | {m['n']} | {_f(m['precision'])} | {_f(m['recall'])} |")
    lines += [
        "",
        "| world | replies/quotes wrongly classified | disclosure verdict accuracy (n) | placements with every slot "
        "status right | orders attributed to the right creator |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results:
        lines.append(
            f"| {name} | {r['stray_word_of_mouth']} | {_f(r['disclosure_accuracy'])} ({r['disclosure_n']}) | "
            f"{_f(r['slots_exact'])} ({r['placements']}) | {_f(r['sales_correct'])} ({r['orders']}) |"
        )
    lines += ["", "Disclosure confusion (planted → found): " + "; ".join(
        f"{name}: " + ", ".join(f"{k} {v}" for k, v in r["disclosure_confusion"].items()) for name, r in results
    ), ""]  # fmt: skip
    langs = sorted({lang for _n, r in results for lang in r["sentiment_by_language"]})
    lines += [
        "Comment sentiment against the phrase banks' labels (accuracy, n) — short in-world comments, not a benchmark:",
        "",
        "| world | " + " | ".join(langs) + " |",
        "| --- | " + " | ".join("---:" for _ in langs) + " |",
    ]
    for name, r in results:
        cells = [
            f"{r['sentiment_by_language'][lg][0]:.2f} ({r['sentiment_by_language'][lg][1]})"
            if lg in r["sentiment_by_language"]
            else "—"
            for lg in langs
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    notes = sorted({n for _name, r in results for n in r["notes"]})
    if notes:
        lines += ["", "Booking notes: " + " ".join(f"{n}." for n in notes)]
    return "\n".join(lines) + "\n"
