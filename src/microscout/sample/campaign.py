"""A simulated executed campaign on the sample world, for the demo and the tests.

Given a campaign in the store (placements and tracking rules), it writes canonical files of what
the campaign produced and a sales file:

* **deliverables** — each slot of each placement is posted (85 %) or missing; 15 % of the posted
  ones arrive after the due date; disclosure: 70 % an accepted tag of the market, 15 % an ambiguous
  one (``#collab``), 15 % none; engagement drawn from the creator's posterior ER;
* **comments** on deliverables and UGC in the market's language, 60 % positive / 25 % neutral /
  15 % negative, from phrase banks written for the project (11 languages, Arabic, Hindi and
  Japanese included);
* **UGC** — other creators of the world (every market) posting with the campaign hashtag, some also
  naming a competitor; plus competitor-only posts; replies and quotes on X and Bluesky (word of
  mouth);
* **sales** — orders with the placements' promo codes, one order with an unknown code and one bad
  row (quarantined on import).

Deterministic for a seed. Nothing here reads ``truth_*``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from microscout.markets import HOME_MARKET_SQL, market_languages
from microscout.store import Store
from microscout.tracking.campaigns import get_campaign
from microscout.tracking.disclosure import load_rules

__all__ = ["simulate_campaign"]

BRAND_LINES = {
    "en": ["Obsessed with my new {brand} routine", "Tried {brand} for a week: my skin says thanks",
           "Summer essential unlocked with {brand}", "Honest review of {brand}"],
    "pt": ["Apaixonada pela nova rotina com {brand}", "Testei {brand} por uma semana e amei",
           "Meu essencial de verão é {brand}", "Resenha sincera de {brand}"],
    "de": ["Meine neue Routine mit {brand}", "Eine Woche {brand} getestet: ehrliche Meinung",
           "Sommer-Essential: {brand}", "Ehrlicher Test von {brand}"],
    "id": ["Rutinitas baru aku pakai {brand}", "Seminggu coba {brand}, kulitku senang",
           "Andalan musim panas: {brand}", "Review jujur {brand}"],
    "es": ["Mi nueva rutina con {brand}", "Una semana probando {brand}: me encanta",
           "Imprescindible de verano: {brand}", "Reseña honesta de {brand}"],
    "fr": ["Ma nouvelle routine avec {brand}", "Une semaine avec {brand} : mon avis",
           "Indispensable de l'été : {brand}", "Avis honnête sur {brand}"],
    "it": ["La mia nuova routine con {brand}", "Una settimana con {brand}: promosso",
           "Essenziale dell'estate: {brand}", "Recensione sincera di {brand}"],
    "ja": ["{brand}で新しいスキンケア習慣", "{brand}を一週間使ってみた感想", "夏の必需品は{brand}",
           "{brand}の正直レビュー"],
    "hi": ["{brand} के साथ मेरी नई दिनचर्या", "एक हफ्ते {brand} इस्तेमाल किया", "गर्मी की ज़रूरत {brand}",
           "{brand} की सच्ची समीक्षा"],
    "ar": ["روتيني الجديد مع {brand}", "جربت {brand} لمدة أسبوع", "أساسيات الصيف مع {brand}", "رأيي الصريح في {brand}"],
    "tr": ["{brand} ile yeni rutinim", "Bir hafta {brand} denedim", "Yazın vazgeçilmezi {brand}",
           "{brand} dürüst yorum"],
}  # fmt: skip
COMPETITOR_LINES = {
    "en": "Switched to {brand} this week", "pt": "Mudei para {brand} essa semana", "de": "Diese Woche {brand} probiert",
    "id": "Minggu ini ganti ke {brand}", "es": "Esta semana cambié a {brand}", "fr": "Cette semaine j'ai testé {brand}",
    "it": "Questa settimana ho provato {brand}", "ja": "今週は{brand}を試した", "hi": "इस हफ्ते {brand} आज़माया",
    "ar": "جربت {brand} هذا الأسبوع", "tr": "Bu hafta {brand} denedim",
}  # fmt: skip
COMMENTS = {
    "en": (["Love this, ordering now!", "Amazing glow, need it", "Best sunscreen I've tried"],
           ["Where can I buy it?", "Is it available in stores?", "What SPF is it?"],
           ["Too expensive for what it is", "Broke me out, not for me", "Smells weird honestly"]),
    "pt": (["Amei demais, vou comprar!", "Que pele linda, quero muito", "Melhor protetor que já usei"],
           ["Onde compro?", "Tem na farmácia?", "Qual o FPS?"],
           ["Muito caro pelo que é", "Me deu alergia, não gostei", "O cheiro é estranho"]),
    "de": (["Sieht super aus, bestelle ich!", "Tolle Haut, will ich auch", "Beste Sonnencreme bisher"],
           ["Wo kann man das kaufen?", "Gibt es das im Drogeriemarkt?", "Welcher LSF?"],
           ["Viel zu teuer", "Hat bei mir Pickel gemacht", "Riecht komisch"]),
    "id": (["Suka banget, mau beli!", "Kulitnya glowing banget", "Sunscreen terbaik yang pernah kucoba"],
           ["Belinya di mana?", "Ada di toko?", "SPF berapa?"],
           ["Kemahalan", "Bikin jerawatan, nggak cocok", "Baunya aneh"]),
    "es": (["Me encanta, lo compro ya", "Qué piel tan bonita", "El mejor protector que he probado"],
           ["¿Dónde lo compro?", "¿Está en tiendas?", "¿Qué FPS tiene?"],
           ["Demasiado caro", "Me dio granitos", "Huele raro"]),
    "fr": (["J'adore, je commande !", "Quelle belle peau", "Meilleure crème solaire testée"],
           ["Où l'acheter ?", "C'est en pharmacie ?", "Quel indice ?"],
           ["Trop cher pour ce que c'est", "Ça m'a donné des boutons", "L'odeur est bizarre"]),
    "it": (["Lo adoro, lo compro subito", "Che pelle luminosa", "La migliore crema solare provata"],
           ["Dove si compra?", "Si trova in farmacia?", "Che SPF ha?"],
           ["Troppo caro", "Mi ha fatto uscire brufoli", "Ha un odore strano"]),
    "ja": (["最高！買います", "肌がきれいで憧れる", "今まで使った中で一番の日焼け止め"],
           ["どこで買えますか？", "お店にありますか？", "SPFはいくつですか？"],
           ["値段が高すぎる", "肌荒れしました", "匂いが苦手"]),
    "hi": (["बहुत बढ़िया, अभी खरीदूंगी", "त्वचा कितनी चमकदार है", "अब तक का सबसे अच्छा सनस्क्रीन"],
           ["कहाँ से खरीदें?", "क्या दुकान में मिलता है?", "इसका एसपीएफ कितना है?"],
           ["बहुत महंगा है", "मुझे दाने हो गए", "इसकी गंध अजीब है"]),
    "ar": (["رائع جداً، سأشتريه الآن", "بشرتك جميلة، أريده", "أفضل واقي شمس جربته"],
           ["من أين أشتريه؟", "هل يوجد في المتاجر؟", "كم عامل الحماية؟"],
           ["غالي جداً", "سبب لي حبوب", "رائحته غريبة"]),
    "tr": (["Bayıldım, hemen alıyorum", "Cildin harika görünüyor", "Denediğim en iyi güneş kremi"],
           ["Nereden alınır?", "Mağazalarda var mı?", "SPF kaç?"],
           ["Çok pahalı", "Sivilce yaptı", "Kokusu garip"]),
}  # fmt: skip
KIND_FOR = {
    "instagram": {"reel": "reel", "story": "story", "post": "post", "carousel": "carousel", "video": "reel",
                  "short": "reel"},
    "tiktok": {"*": "video"},
    "youtube": {"short": "short", "reel": "short", "story": "short", "*": "video"},
    "x": {"*": "tweet"},
    "bluesky": {"*": "post"},
}  # fmt: skip
VIEW_KINDS = {"reel", "story", "video", "short"}


def _languages() -> dict[str, str]:
    return {country: langs[0] for country, langs in market_languages().items()}


def _lang(market: str | None, langs: dict[str, str]) -> str:
    lang = langs.get(market or "", "en")
    return lang if lang in BRAND_LINES else "en"


def _post_kind(platform: str, kind: str) -> str:
    table = KIND_FOR.get(platform, {"*": "post"})
    return table.get(kind) or table.get("*") or kind


def _disclosure_tags(market: str, platform: str) -> tuple[str | None, str | None]:
    rules = load_rules()
    accepted = [r["tag"] for r in rules.applicable(platform, market) if r["kind"] == "hashtag" and r["accepted"]]
    weak = [r["tag"] for r in rules.applicable(platform, market) if r["kind"] == "hashtag" and not r["accepted"]]
    return (accepted[0] if accepted else None), ("collab" if "collab" in weak else (weak[0] if weak else None))


def _engagement(rng: np.random.Generator, followers: int, er: float, kind: str) -> dict[str, Any]:
    total = max(1, int(followers * er * float(rng.lognormal(0.0, 0.45))))
    comments = max(0, int(total * float(rng.uniform(0.02, 0.06))))
    views = int(followers * float(rng.uniform(0.2, 0.9))) if kind in VIEW_KINDS else None
    if kind == "story":
        return {"likes": None, "comments": None, "views": views}
    return {"likes": total - comments, "comments": comments, "views": views}


def _comments(
    rng: np.random.Generator, post_id: str, platform: str, lang: str, published: dt.datetime, n: int, tag: str
) -> list[dict[str, Any]]:
    pos, neu, neg = COMMENTS.get(lang, COMMENTS["en"])
    out = []
    for k in range(n):
        u = rng.random()
        bank = pos if u < 0.6 else neu if u < 0.85 else neg
        label = "positive" if bank is pos else "neutral" if bank is neu else "negative"
        out.append(
            {
                "platform": platform,
                "comment_id": f"{post_id}-c{tag}{k:02d}",
                "post_id": post_id,
                "author_id": f"fan{int(rng.integers(0, 10**7)):07d}",
                "author_handle": f"fan{int(rng.integers(0, 10**7)):07d}",
                "text": bank[int(rng.integers(0, len(bank)))],
                "published_at": (published + dt.timedelta(hours=float(rng.uniform(1, 72)))).isoformat(),
                "likes": int(rng.integers(0, 40)),
                "is_creator_reply": False,
                "_label": label,
                "_language": lang,
            }
        )
    return out


def simulate_campaign(
    store: Store, workspace: str, campaign_ref: str, out_dir: Path, *, seed: int = 11, now: dt.datetime
) -> dict[str, Path]:
    """Write ``posts.jsonl``, ``comments.jsonl`` and ``sales.csv`` for the campaign into ``out_dir``, and
    what was planted (roles, disclosure intent, slot outcomes, comment labels, order owners) into
    ``truth_campaign.json`` for the tracking evaluation."""
    rng = np.random.default_rng(seed)
    campaign = get_campaign(store, workspace, campaign_ref)
    langs = _languages()
    rules = campaign["rules"]
    brand = campaign["brand"]
    hashtag = next((r["value"] for r in rules if r["kind"] == "hashtag"), brand.lower().replace(" ", ""))
    mention = next((r["value"] for r in rules if r["kind"] == "mention"), None)
    competitors = [r["value"] for r in rules if r["kind"] == "competitor"] or ["Rivalbrand"]
    codes = {r["placement_id"]: r["value"] for r in rules if r["kind"] == "promo_code" and r["placement_id"]}
    start = dt.datetime.combine(campaign["start_date"], dt.time())
    span = max((now - start).total_seconds() / 86400.0, 1.0)
    creators = store.raw.execute(
        "SELECT c.platform, c.creator_id, c.handle, c.followers, coalesce(p.er_posterior, 0.03), "
        "coalesce(m.home, c.declared_country) FROM creators c "
        "LEFT JOIN creator_profiles p USING (platform, creator_id) "
        f"LEFT JOIN ({HOME_MARKET_SQL}) m USING (platform, creator_id) ORDER BY c.platform, c.creator_id"
    ).fetchall()
    info = {(r[0], r[1]): r for r in creators}
    posts: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    truth: dict[str, list[dict[str, Any]]] = {"posts": [], "slots": []}  # what was planted, for evaluation only
    for p in campaign["placements"]:
        row = info.get((p["platform"], p["creator_id"]))
        if row is None:
            continue
        lang = _lang(p["market"], langs)
        ok_tag, weak_tag = _disclosure_tags(p["market"], p["platform"])
        due = dt.datetime.combine(p["due_date"], dt.time()) if p["due_date"] else now
        for d in p["deliverables"]:
            for slot in range(int(d.get("count", 1))):
                if rng.random() < 0.15:
                    truth["slots"].append({"placement_id": p["placement_id"], "kind": d["kind"], "status": "missing"})
                    continue
                late = rng.random() < 0.15 and now > due + dt.timedelta(days=1, hours=3)
                truth["slots"].append(
                    {"placement_id": p["placement_id"], "kind": d["kind"], "status": "late" if late else "delivered"}
                )
                base = due + dt.timedelta(days=1) if late else start  # late: after the due date's end
                hi = (now - base).total_seconds() / 86400 if late else max((min(due, now) - start).days, 1)
                published = base + dt.timedelta(days=float(rng.uniform(0.05, max(hi, 0.1))))
                published = min(published, now - dt.timedelta(hours=2))
                kind = _post_kind(p["platform"], d["kind"])
                u = rng.random()
                disclosure = ok_tag if u < 0.70 else weak_tag if u < 0.85 else None
                line = BRAND_LINES[lang][int(rng.integers(0, len(BRAND_LINES[lang])))].format(brand=brand)
                code = codes.get(p["placement_id"])
                caption = f"{line} {'@' + mention if mention else ''} {'code ' + code if code else ''}".strip()
                tags = [hashtag] + ([disclosure] if disclosure else [])
                pid = f"{p['placement_id']}-{d['kind']}{slot}"
                intent = "accepted" if disclosure == ok_tag and ok_tag else "ambiguous" if disclosure else "missing"
                truth["posts"].append(
                    {"post_id": pid, "role": "deliverable", "placement_id": p["placement_id"], "disclosure": intent}
                )
                posts.append(
                    {
                        "platform": p["platform"], "post_id": pid, "creator_id": p["creator_id"],
                        "published_at": published.isoformat(), "kind": kind, "caption": caption,
                        "hashtags": tags, "mentions": [mention] if mention else [],
                        **_engagement(rng, int(row[3] or 1000), float(row[4]), kind),
                        "is_sponsored": disclosure == ok_tag and rng.random() < 0.5,
                        "url": f"https://example.invalid/{p['platform']}/{pid}",
                    }
                )  # fmt: skip
                if kind != "story":
                    comments += _comments(rng, pid, p["platform"], lang, published, int(rng.integers(6, 16)), "d")
    placed = {(p["platform"], p["creator_id"]) for p in campaign["placements"]}
    others = [r for r in creators if (r[0], r[1]) not in placed]
    picks: list[int] = (
        [int(i) for i in rng.choice(len(others), size=min(len(others), 80), replace=False)] if others else []
    )
    for k, idx in enumerate(picks):
        platform, creator_id, _handle, followers, er, market = others[int(idx)]
        lang = _lang(market, langs)
        published = start + dt.timedelta(days=float(rng.uniform(0.5, span)))
        published = min(published, now - dt.timedelta(hours=1))
        kind = _post_kind(platform, "post")
        rival = competitors[int(rng.integers(0, len(competitors)))]
        if k % 5 == 4:  # competitor-only post
            caption = COMPETITOR_LINES.get(lang, COMPETITOR_LINES["en"]).format(brand=rival)
            tags = [rival.lower().replace(" ", "")]
        else:
            caption = BRAND_LINES[lang][int(rng.integers(0, 4))].format(brand=brand)
            tags = [hashtag]
            if k % 7 == 3:
                caption += f" / {rival}"
        pid = f"ugc-{seed}-{k:03d}"
        truth["posts"].append({"post_id": pid, "role": "competitor" if k % 5 == 4 else "ugc"})
        post = {
            "platform": platform, "post_id": pid, "creator_id": creator_id, "published_at": published.isoformat(),
            "kind": kind, "caption": caption, "hashtags": tags, "mentions": [],
            **_engagement(rng, int(followers or 500), float(er), kind), "is_sponsored": False,
            "url": f"https://example.invalid/{platform}/{pid}",
        }  # fmt: skip
        posts.append(post)
        comments += _comments(rng, pid, platform, lang, published, int(rng.integers(2, 7)), "u")
    # word of mouth: replies and quotes on X and Bluesky campaign posts
    threadable = [p for p in posts if p["platform"] in ("x", "bluesky")]
    same_platform = {pl: [r for r in others if r[0] == pl] for pl in ("x", "bluesky")}
    for k, target in enumerate(threadable):
        pool = same_platform[target["platform"]]
        for j in range(int(rng.integers(0, 4))):
            if not pool:
                break
            author = pool[int(rng.integers(0, len(pool)))]
            relation = "reply_to" if rng.random() < 0.6 else "quote_of"
            pid = f"wom-{seed}-{k:03d}-{j}"
            truth["posts"].append({"post_id": pid, "role": "word_of_mouth", relation: target["post_id"]})
            posts.append(
                {
                    "platform": target["platform"], "post_id": pid, "creator_id": author[1],
                    "published_at": min(dt.datetime.fromisoformat(target["published_at"]) + dt.timedelta(hours=3),
                                        now - dt.timedelta(minutes=5)).isoformat(),
                    "kind": target["kind"], "caption": "💯", "hashtags": [], "mentions": [],
                    "likes": int(rng.integers(0, 30)), "comments": 0, relation: target["post_id"],
                }
            )  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"posts": out_dir / "posts.jsonl", "comments": out_dir / "comments.jsonl", "sales": out_dir / "sales.csv"}
    truth["comments"] = [
        {"comment_id": c["comment_id"], "label": c.pop("_label"), "language": c.pop("_language")} for c in comments
    ]
    for name in ("posts", "comments"):
        rows = posts if name == "posts" else comments
        paths[name].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    truth["orders"] = _write_sales(rng, paths["sales"], campaign, codes, start, now)
    paths["truth"] = out_dir / "truth_campaign.json"
    paths["truth"].write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return paths


def _write_sales(
    rng: np.random.Generator, path: Path, campaign: dict[str, Any], codes: dict[str, str], start: dt.datetime,
    now: dt.datetime,
) -> list[dict[str, Any]]:  # fmt: skip
    """Write the orders file; return which placement each order belongs to (None: no creator)."""
    currency = campaign["currency"] or "EUR"
    market_of = {p["placement_id"]: p["market"] for p in campaign["placements"]}
    rows = []
    owners: list[dict[str, Any]] = []
    n = 0
    for pid, code in sorted(codes.items()):
        for _ in range(int(rng.poisson(6))):
            n += 1
            owners.append({"order_id": f"ord-{n:05d}", "placement_id": pid})
            when = start + dt.timedelta(days=float(rng.uniform(0, max((now - start).days, 1))))
            rows.append([f"ord-{n:05d}", min(when, now).date().isoformat(), f"{rng.uniform(18, 90):.2f}", currency,
                         code, "", market_of.get(pid, "")])  # fmt: skip
    rows.append([f"ord-{n + 1:05d}", now.date().isoformat(), "42.00", currency, "UNKNOWN-CODE", "", ""])
    owners.append({"order_id": f"ord-{n + 1:05d}", "placement_id": None})
    rows.append([f"ord-{n + 2:05d}", "yesterday", "abc", currency, "X", "", ""])  # quarantined: bad date
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["order_id", "date", "revenue", "currency", "promo_code", "link", "market"])
        writer.writerows(rows)
    return owners
