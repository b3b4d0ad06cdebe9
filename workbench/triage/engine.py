"""The triage engine: intent, emotion, urgency, priority and the cues that explain them.

Deterministic, offline, well under a millisecond per message: the text is normalised once, each cue
word is a C-level substring test, and a few dozen regexes cover word order ("退款…还没到"). A cue that
sits inside a longer cue of the same kind (退款 inside 退款进度) is shadowed, so a specific phrase is
not outvoted by the generic word it contains. Both the Chinese and the English lexicon run on every
message because customers mix them ("我的order什么时候ship").
"""

from __future__ import annotations

import re
import unicodedata

from workbench.triage import intent_model
from workbench.triage.model import Cue, TriageResult
from workbench.triage.rules import URGENT_KINDS, Rule, RuleSet, load

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_SPACES = re.compile(r"\s+")
MAX_CUES = 8
_Match = tuple[int, int, Rule, str]


def normalize(text: str, rules: RuleSet) -> str:
    """NFKC (full-width ！？１ → !?1), lower case, placeholders removed, typos fixed, spaces squeezed."""
    out = unicodedata.normalize("NFKC", text).lower()
    for pattern in rules.placeholders:
        out = pattern.sub(" ", out)
    for src, dst, word in rules.replace:
        if src in out:
            out = word.sub(dst, out) if word is not None else out.replace(src, dst)
    return _SPACES.sub(" ", out).strip()


def language(text: str) -> str:
    """'zh' when Chinese characters carry the message (even with English words mixed in), else 'en'."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return "zh" if cjk and cjk * 5 >= latin else ("en" if latin else "zh")


def _matches(text: str, rules: RuleSet) -> list[_Match]:
    """Every cue hit: one pass over the text looking up cue words by their first two characters
    (a hash lookup per position instead of ~1000 substring searches), then the regexes."""
    found: list[_Match] = []
    for rule in rules.single_chars:  # few one-character cues (急, 坑, !): plain find loops
        at = text.find(rule.text)
        while at >= 0:
            found.append((at, at + 1, rule, rule.text))
            at = text.find(rule.text, at + 1)
    get, firsts = rules.by_prefix.get, rules.first_chars
    for i, ch in enumerate(text):
        if ch in firsts:  # most characters start no cue word: one set test, no slicing
            bucket = get(text[i : i + 2])
            if bucket:
                for rule in bucket:
                    if len(rule.text) == 2 or text.startswith(rule.text, i):
                        found.append((i, i + len(rule.text), rule, rule.text))
    for rule in rules.patterns:
        assert rule.pattern is not None
        for m in rule.pattern.finditer(text):
            if m.end() > m.start():
                found.append((m.start(), m.end(), rule, m.group(0)))
    return found


def _unshadowed(found: list[_Match]) -> list[_Match]:
    """Drop cues that a longer *word* cue of the same domain contains.

    退款 inside 退款进度 (another intent) is dropped; inside the same intent the weaker of the two is
    dropped, so overlapping words are not counted twice (a w0 phrase always wins: it exists to hide
    a word, as 不想退款 hides 退款). Regex matches never shadow: their spans have gaps (退款…还没到)
    that may hold another intent's word. Urgent cues never shadow or get shadowed.

    Containers are looked up by start position (at most the longest cue word back), so a long message
    with hundreds of cue hits stays linear instead of comparing every pair.
    """
    by_start: dict[int, list[_Match]] = {}
    longest = 0
    for match in found:
        if match[2].pattern is None and match[2].domain in ("intent", "emotion"):
            by_start.setdefault(match[0], []).append(match)
            longest = max(longest, match[1] - match[0])
    kept = []
    for start, end, rule, text in found:
        if rule.domain not in ("intent", "emotion"):
            kept.append((start, end, rule, text))
            continue
        mine = rule.intent or rule.kind
        shadowed = False
        for at in range(max(0, end - longest), start + 1):
            for o_start, o_end, other, _ in by_start.get(at, ()):
                if other is rule or other.domain != rule.domain or o_end < end or o_end - o_start <= end - start:
                    continue
                if (other.intent or other.kind) != mine or other.weight >= rule.weight or other.weight == 0:
                    shadowed = True
                    break
            if shadowed:
                break
        if not shadowed:
            kept.append((start, end, rule, text))
    return kept


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 14 else text[:13] + "…"


def _priority(rules: RuleSet, intent: str, emotion: str, urgent: bool, vip_level: int, waited: float) -> int:
    table = rules.priority
    score = float(table.get("emotion", {}).get(emotion, 0))
    score += float(table.get("urgent", 0)) if urgent else 0.0
    score += min(max(vip_level, 0) * float(table.get("per_vip_level", 0)), float(table.get("vip_cap", 0)))
    score += min(max(waited, 0.0) * float(table.get("points_per_waited_minute", 0)), float(table.get("wait_cap", 0)))
    score += float(table.get("intent", {}).get(intent, 0))
    return int(max(0, min(100, round(score))))


def triage(text: str | None, vip_level: int = 0, waited_minutes: float = 0) -> TriageResult:
    """Triage a customer's opening message(s).

    ``vip_level`` (0–5) and ``waited_minutes`` only raise the priority; intent, emotion and urgency
    come from the text. Never raises on odd input (empty, binary-looking, huge): an empty message is
    ``other``/``calm`` with priority from VIP and waiting time alone.
    """
    rules = load()
    raw = (text or "")[: rules.max_chars]
    norm = normalize(raw, rules)
    lang = language(raw)
    kept = _unshadowed(_matches(norm, rules)) if norm else []
    if text and len(text) > rules.max_chars:  # a long rant: still see the 12315 / 冒烟 at its end
        rest = unicodedata.normalize("NFKC", text[rules.max_chars : rules.urgent_chars]).lower()
        kept += [(0, 0, rule, rule.text) for rule in rules.urgent_words if rule.text in rest]

    scores: dict[str, float] = {}
    votes: dict[str, dict[str, Cue]] = {}
    length = max(len(norm), 1)
    for start, _, rule, matched in kept:
        key = rule.intent or rule.kind
        bucket = votes.setdefault(key, {})
        if rule.text in bucket or matched in bucket:
            continue
        bucket[rule.text or matched] = Cue(rule.kind, _short(matched), rule.weight, rule.intent)
        if rule.domain == "intent" and rule.weight > 0:
            # Several questions in one message: the first-mentioned concern is usually the case.
            weight = rule.weight * (1.0 - rules.position_decay * start / length)
            scores[rule.intent] = scores.get(rule.intent, 0.0) + weight

    intent, best_score = "other", 0.0
    if scores:
        best = max(scores.items(), key=lambda kv: (kv[1], -rules.tie_order.get(kv[0], 99)))
        if best[1] >= rules.min_score:
            intent, best_score = best
    model_cue = None
    feats: set[str] | None = None  # the models' features, extracted once and only when a model is asked
    if norm and best_score < rules.model_below_score:
        # The rules are unsure (nothing fired, or only weak cues): the small trained model decides
        # when it is confident, and says so in the cues.
        feats = intent_model.features(raw)
        post = intent_model.load()["intent"].posterior_of(feats)
        label = max(post, key=lambda c: (post[c], c))
        posterior = post[label]
        # A weak rule intent is replaced only by one the rules did not score at all: when the rules
        # weighed both and preferred theirs ("能直接换货吗 不想退款"), the ranking stands.
        if posterior >= rules.model_min_posterior and label != intent and (intent == "other" or label not in scores):
            intent = label
            model_cue = Cue("model", f"{label} {posterior:.2f}", round(posterior, 2))
    anger = sum(c.weight for c in votes.get("angry", {}).values())
    anxiety = sum(c.weight for c in votes.get("anxious", {}).values())
    emotion = "angry" if anger >= rules.angry_at else ("anxious" if anxiety >= rules.anxious_at else "calm")
    emotion_cue = None
    if norm and emotion != "angry" and min(rules.model_angry_at, rules.model_anxious_at) <= 1.0:
        # Anger without the lexicon's words ("三天了一个人都没有"): the emotion model may only *raise* the
        # emotion (calm/anxious → angry, calm → anxious), never calm a customer the rules heard shouting.
        if feats is None:
            feats = intent_model.features(raw)
        post = intent_model.load()["emotion"].posterior_of(feats)
        raised = ("angry" if post.get("angry", 0.0) >= rules.model_angry_at else
                  "anxious" if emotion == "calm" and post.get("anxious", 0.0) >= rules.model_anxious_at else "")
        if raised:
            emotion = raised
            emotion_cue = Cue("model", f"{raised} {post[raised]:.2f}", round(post[raised], 2))
    flags = [kind for kind in URGENT_KINDS if votes.get(kind)]
    urgent = emotion == "angry" or bool(flags)

    cues: list[Cue] = sorted(votes.get(intent, {}).values(), key=lambda c: -c.weight)[:3]
    if model_cue is not None:
        cues.insert(0, model_cue)
    if emotion_cue is not None:
        cues.append(emotion_cue)
    if emotion != "calm":
        cues += sorted(votes.get(emotion, {}).values(), key=lambda c: -c.weight)[:2]
    for kind in flags:
        cues += list(votes[kind].values())[:1]
    priority = _priority(rules, intent, emotion, urgent, vip_level, waited_minutes)
    ranked = tuple(sorted(((k, round(v, 2)) for k, v in scores.items()), key=lambda kv: -kv[1]))
    return TriageResult(intent, emotion, urgent, priority, rules.playbooks[intent], lang, tuple(cues[:MAX_CUES]),
                        ranked)
