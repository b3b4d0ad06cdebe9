"""Triage engine: intents on messy real-world messages, emotion, urgency rules, priority, cues,
determinism, bad input, rule-file validation, and the labelled dev/hold-out figures."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from workbench.triage import EMOTIONS, INTENTS, triage
from workbench.triage import rules as rules_mod
from workbench.triage.evaluate import evaluate

DATA = Path(__file__).parent / "data"


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("text, intent", [
    ("在吗？订单 JD2311209987 到哪了", "where_is_order"),
    ("[订单卡片] 订单号：TB1 商品：台灯 状态：已发货\n大概几号能到", "where_is_order"),
    ("物流四天没动了 卡在中转站", "delivery_problem"),
    ("显示签收了但我根本没收到", "delivery_problem"),
    ("亲 拆开发现杯子碎了 [图片]", "damaged_item"),
    ("我买的是黑色 发来的是白色", "wrong_or_missing_item"),
    ("鞋子小了 能换大一码吗", "size_or_exchange"),
    ("能直接换货吗 不想退款", "size_or_exchange"),  # "不想退款" must not vote for a refund
    ("不想要了 可以七天无理由退货吗", "return_refund_request"),
    ("退款什么时候到账", "refund_status"),
    ("退货寄回去一周了还没退款", "refund_status"),
    ("洗衣机用了三个月不转了 能上门维修吗", "warranty_repair"),
    ("这个怎么连WiFi 说明书看不懂", "product_usage"),
    ("发漂能今天开吗 要报销", "invoice"),  # typo 发漂 → 发票
    ("昨天买的今天降价了 能退差价吗", "price_promo"),
    ("地址填错了 还没发货能改吗", "order_change"),
    ("客服推来推去 我要投诉", "complaint"),
    ("这款还有货吗", "other"),
    ("在吗", "other"),
    ("hi 我的order什么时候ship", "where_is_order"),
    ("The mug arrived broken", "damaged_item"),
    ("I need to change my shipping address", "order_change"),
    ("has my refund been processed yet?", "refund_status"),
])
def test_intents_on_messy_messages(text: str, intent: str) -> None:
    assert triage(text).intent == intent


def test_specific_phrase_beats_the_generic_word_it_contains() -> None:
    result = triage("退款进度怎么查")
    assert result.intent == "refund_status"
    assert "return_refund_request" not in dict(result.scores)  # 退款 was shadowed by 退款进度


def test_several_questions_the_first_concern_wins() -> None:
    assert triage("快递三天没动了 另外发票能开吗").intent == "delivery_problem"
    assert triage("发票能开吗 另外快递三天没动了").intent == "invoice"


@pytest.mark.parametrize("text, emotion", [
    ("你好 请问能开发票吗", "calm"),
    ("急用！明天就要 能今天发吗", "anxious"),
    ("在吗在吗 快递到哪了 😭", "anxious"),
    ("什么破快递 垃圾 再不到我就差评", "angry"),
    ("第三次收到破损的了！！你们仓库是不是专门挑坏的发", "angry"),
    ("😡😡 退款呢？？骗子", "angry"),
    ("你好 空气炸锅第一次用要先空烧吗", "calm"),  # 气炸 inside 空气炸锅 is not anger
    ("what the fuck is wrong with my order", "angry"),
])
def test_emotion(text: str, emotion: str) -> None:
    assert triage(text).emotion == emotion


@pytest.mark.parametrize("text, emotion", [
    # sarcasm / 阴阳怪气, rhetorical questions, repetition pressure, slang (written for this test, not data)
    ('好一个"七天无忧"，寄回去半个月没人理', "angry"),
    ("客服是下班了是吧 消息发了一下午", "angry"),
    ("这都第四次问了 电池到底什么时候补发", "angry"),
    ("耳机断断续续的 tmd 才用三天", "angry"),
    ("Fourth time asking about this order. Does anyone there care?", "angry"),
    # the same words in a calm message stay calm: negated hurry, 垃圾桶, 滚筒, a loyal repeat buyer
    ("不着急哈 您有空帮我看下发票开了没", "calm"),
    ("请问垃圾桶的内桶可以单独买吗", "calm"),
    ("滚筒洗衣机的门封圈怎么拆下来清洗", "calm"),
    ("第三次回购了 这次想问问能不能开专票", "calm"),
    ("请问这件外套会不会掉色？", "calm"),
])
def test_emotion_on_sarcasm_slang_and_calm_look_alikes(text: str, emotion: str) -> None:
    assert triage(text).emotion == emotion


def test_indirect_threats_and_double_charges_by_another_wording_are_urgent() -> None:
    assert any(c.kind == "threat" for c in triage("再不处理我就发到网上去").cues)
    assert any(c.kind == "money_twice" for c in triage("一笔订单扣了两笔钱").cues)


@pytest.mark.parametrize("text, kind", [
    ("再不处理我就打12315", "threat"),
    ("我要曝光你们", "threat"),
    ("电热毯插头冒烟了", "safety"),
    ("热水器漏电 家人被电了一下", "safety"),
    ("同一个订单扣了两次钱", "money_twice"),
    ("I was charged twice for one order", "money_twice"),
])
def test_urgent_for_threats_safety_and_double_charges_even_when_calm(text: str, kind: str) -> None:
    result = triage(text)
    assert result.urgent
    assert any(c.kind == kind for c in result.cues)


def test_not_urgent_for_a_calm_question() -> None:
    result = triage("请问保修期多久")
    assert (result.urgent, result.emotion) == (False, "calm")


def test_priority_rises_with_emotion_vip_wait_and_intent() -> None:
    calm = triage("请问发票怎么开").priority
    assert triage("请问发票怎么开", vip_level=3).priority == calm + 15
    assert triage("请问发票怎么开", waited_minutes=20).priority == calm + 10
    assert triage("请问发票怎么开", waited_minutes=10_000).priority == calm + 20  # capped
    assert triage("垃圾服务 我要投诉").priority > triage("我想反馈一下客服态度").priority > calm
    assert 0 <= triage("垃圾！！骗子！！12315 曝光", vip_level=99, waited_minutes=9e9).priority <= 100


def test_result_carries_cues_playbook_language_and_is_deterministic() -> None:
    text = "收到的水壶外壳裂了😡 我要投诉"
    first = triage(text)
    assert first == triage(text)
    assert first.intent == "damaged_item" and first.playbook == "damaged_item" and first.lang == "zh"
    labels = first.cue_labels
    assert any(label.startswith("damaged_item:") for label in labels)
    assert "threat:投诉" in labels
    data = first.as_dict()
    assert data["cues"] == labels and json.dumps(data, ensure_ascii=False)
    assert triage("where is my parcel").lang == "en"


def test_every_intent_maps_to_a_playbook_id() -> None:
    rules = rules_mod.load()
    assert set(rules.playbooks) == set(INTENTS)
    declared: dict[str, str] = {}
    for path in Path(__file__).resolve().parents[1].joinpath("playbooks").glob("*.toml"):
        import tomllib

        data = tomllib.loads(path.read_text("utf-8"))
        for intent in data.get("intents", []):
            declared[intent] = data["id"]
    if declared:  # the playbook files are the source of truth when present
        assert {i: rules.playbooks[i] for i in declared} == declared


@pytest.mark.parametrize("text", ["", None, "   \n\t", "\x00\x01\x02", "\ufffd" * 50, "[/]", "\x1b]52;c;ZQ==\x07",
                                  "退" * 100_000, "🙂" * 3000, "\u202e退款\u202c"])
def test_odd_input_never_crashes(text: str | None) -> None:
    result = triage(text)
    assert result.intent in INTENTS and result.emotion in EMOTIONS


def test_hostile_strings_corpus(shared_data: Path) -> None:
    for line in (shared_data / "hostile" / "strings.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        text = row["text"] * int(row.get("repeat", 1))
        assert triage(text).intent in INTENTS


def test_broken_rule_files_are_reported_with_file_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    real = rules_mod._read

    def broken(patch: dict) -> None:
        def read(name: str) -> dict:
            data = real(name)
            if name == "rules_zh.toml":
                data = {**data, **patch}
            return data
        monkeypatch.setattr(rules_mod, "_read", read)
        rules_mod.load.cache_clear()

    try:
        broken({"intents": {"refunds": {"w3": ["退"]}}})
        with pytest.raises(rules_mod.RulesError, match=r"rules_zh.toml \[intents.refunds\]: unknown intent"):
            rules_mod.load()
        broken({"intents": {"invoice": {"re": [["(unclosed", 3]]}}})
        with pytest.raises(rules_mod.RulesError, match=r"\[intents.invoice\].re\[1\]: regex .* does not compile"):
            rules_mod.load()
        broken({"emotion": {"angry": {"w3": "垃圾"}}})
        with pytest.raises(rules_mod.RulesError, match=r"\[emotion.angry\].w3: expected a list"):
            rules_mod.load()
    finally:
        monkeypatch.undo()
        rules_mod.load.cache_clear()
    assert triage("发票").intent == "invoice"


def test_labelled_sets_are_big_varied_and_disjoint() -> None:
    dev, hold = load("triage_dev.jsonl"), load("triage_holdout.jsonl")
    assert len(dev) + len(hold) >= 300
    assert len({r["id"] for r in dev}) == len(dev) and len({r["id"] for r in hold}) == len(hold)
    assert not {r["id"] for r in dev} & {r["id"] for r in hold}
    # The split is by a hash of the id, fixed before any rule existed; the later dev-only widening
    # (ids zhx-/enx-, see tests/data/README.md) is never in the hold-out.
    hashed = [r for r in dev + hold if not r["id"].startswith(("zhx-", "enx-"))]
    assert 0.2 <= len(hold) / len(hashed) <= 0.3
    for record in hashed:
        assert (hashlib.sha256(record["id"].encode()).digest()[0] % 4 == 0) == (record in hold)
    widened = [r for r in dev if r["id"].startswith(("zhx-", "enx-"))]
    assert len(widened) >= 95 and Counter(r["emotion"] for r in widened)["calm"] >= 20
    for records in (dev, hold):
        assert {r["intent"] for r in records} == set(INTENTS)
        assert {r["emotion"] for r in records} == set(EMOTIONS)
        assert all(r["intent"] in INTENTS and isinstance(r["urgent"], bool) for r in records)
    langs = Counter(r["lang"] for r in dev + hold)
    assert langs["zh"] > langs["en"] > 50  # mostly Chinese, plus the mapped Bitext English


def test_dev3_is_a_separate_dev_file_and_the_model_is_reproducible() -> None:
    """triage_dev3.jsonl (2026-12 widening, ids d3-NNN) is dev only: no id or text shared with a hold-out; the
    shipped intent model is exactly what train_intent_model.py builds from the dev files."""
    import importlib.util

    dev3 = load("triage_dev3.jsonl")
    assert len(dev3) >= 200 and [r["id"] for r in dev3] == [f"d3-{i:03d}" for i in range(1, len(dev3) + 1)]
    assert {r["intent"] for r in dev3} == set(INTENTS) and min(Counter(r["intent"] for r in dev3).values()) >= 12
    assert Counter(r["emotion"] for r in dev3)["angry"] >= 60 and Counter(r["lang"] for r in dev3)["en"] >= 30
    held = {r["text"] for name in ("triage_holdout.jsonl", "triage_holdout2.jsonl") for r in load(name)}
    assert not held & {r["text"] for r in dev3} and not {r["id"] for r in load("triage_dev.jsonl")} & {r["id"] for r in dev3}
    spec = importlib.util.spec_from_file_location("train_intent_model", DATA / "train_intent_model.py")
    trainer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trainer)
    built = trainer.build(trainer.dev_records())
    shipped = json.loads((Path(rules_mod.__file__).parent / "intent_model.json").read_text("utf-8"))
    assert shipped == built


def test_the_model_decides_only_where_the_rules_are_unsure_and_says_so() -> None:
    result = triage("要的是蓝的 寄来个粉的")  # no cue word the rules know
    assert result.intent == "wrong_or_missing_item"
    assert any(label.startswith("model:wrong_or_missing_item ") for label in result.cue_labels)
    assert triage("盒子瘪了里面也磕了").intent == "damaged_item"
    confident = triage("退款进度怎么查")  # strong rule score: no model cue
    assert confident.intent == "refund_status" and not any(c.kind == "model" for c in confident.cues)
    assert triage("能直接换货吗 不想退款").intent == "size_or_exchange"  # rules weighed both: their ranking stands
    assert triage("在吗").intent == "other"


def test_dev4_is_dev_only_and_trains_the_model() -> None:
    """triage_dev4.jsonl (2026-12, after hold-out 3; ids d4-NNN) is dev only — no id or text shared with any other
    set — and is part of what train_intent_model.py trains on."""
    import importlib.util

    dev4 = load("triage_dev4.jsonl")
    assert len(dev4) >= 300 and [r["id"] for r in dev4] == [f"d4-{i:03d}" for i in range(1, len(dev4) + 1)]
    assert {r["intent"] for r in dev4} == set(INTENTS) and Counter(r["emotion"] for r in dev4)["angry"] >= 60
    others = [r for name in ("triage_dev.jsonl", "triage_dev3.jsonl", "triage_holdout.jsonl", "triage_holdout2.jsonl",
                             "triage_holdout3.jsonl") if (DATA / name).exists() for r in load(name)]
    texts = {r["text"] for r in others}
    assert [r["id"] for r in dev4 if r["text"] in texts] == []  # ids only: a failure must not print hold-out texts
    assert not {r["id"] for r in others} & {r["id"] for r in dev4}
    spec = importlib.util.spec_from_file_location("train_intent_model", DATA / "train_intent_model.py")
    trainer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trainer)
    assert "triage_dev4.jsonl" in trainer.DEV_FILES


def test_model_features_include_cjk_trigrams_and_catch_indirect_wording() -> None:
    from workbench.triage import intent_model

    feats = intent_model.features("少一个 [图片] Wrong size")
    assert {"少", "少一", "少一个", "w:wrong", "w:size"} <= feats and "图片" not in feats
    assert triage("等了快一周了还在原地").intent == "delivery_problem"
    assert triage("钱什么时候回来").intent == "refund_status"


def test_dev_set_figures_meet_the_targets() -> None:
    report = evaluate(load("triage_dev.jsonl") + load("triage_dev3.jsonl"))
    assert report.intent_accuracy >= 0.85
    assert report.angry_recall >= 0.90
    assert report.angry_precision >= 0.95  # the calm look-alikes (不着急, 垃圾桶, 第三次回购) stay calm
    assert report.urgent_accuracy >= 0.90


def test_holdout_figures() -> None:
    """The hold-out was never used for tuning. Floors are the latest measured figures minus 5 points:
    they catch regressions, they are not the targets; the README reports the real figures.

    History: angry recall 80 % → 86.7 % (wider dev set) → 100 % (15/15) with the emotion fallback
    model, whose threshold was chosen by cross-validation on dev only; that model also added one
    false alarm here (precision 100 % → 93.75 %). After dev4 and the model retune (CV on dev only):
    intent 96.5 %, angry recall 93.3 % (14/15), precision 93.3 %. With 15 angry messages one message
    is 6.7 points, so the floors follow the latest measurement."""
    report = evaluate(load("triage_holdout.jsonl"))
    assert report.intent_accuracy >= 0.965 - 0.05
    assert report.angry_recall >= 0.933 - 0.05
    assert report.angry_precision >= 0.933 - 0.05


def test_triage_case_saves_the_result_with_its_outbox_entry(ctx) -> None:
    from workbench.triage.service import triage_case

    now = "2026-11-23T01:30:00Z"  # 30 minutes before the frozen clock
    with ctx.store.write() as conn:
        conn.execute("INSERT INTO customers (id, name, vip_level, created_at, updated_at) VALUES ('cu1', '王磊', 2, ?, ?)",
                     (now, now))
        conn.execute("INSERT INTO cases (id, customer_id, subject, opened_at, updated_at) VALUES ('c1', 'cu1', '', ?, ?)",
                     (now, now))
        conn.execute("INSERT INTO messages (id, case_id, author, body, at) VALUES "
                     "('m1', 'c1', 'customer', '在吗 收到的水壶外壳裂了', ?), ('m2', 'c1', 'customer', '垃圾！我要投诉', ?), "
                     "('m3', 'c1', 'agent', '您好,我是李娜', ?)", (now, now, now))
    before = ctx.store.scalar("SELECT count(*) FROM outbox")
    result = triage_case(ctx, "c1")
    row = dict(ctx.store.one("SELECT * FROM cases WHERE id = 'c1'"))
    assert (row["intent"], row["emotion"], row["urgent"], row["playbook_id"]) == ("damaged_item", "angry", 1, "damaged_item")
    assert row["priority"] == result.priority and json.loads(row["cues"]) == result.cue_labels
    assert result.priority == triage("在吗 收到的水壶外壳裂了\n垃圾！我要投诉", vip_level=2, waited_minutes=30).priority
    assert ctx.store.scalar("SELECT count(*) FROM outbox") == before + 1
    triage_case(ctx, "c1")  # nothing changed: nothing written
    assert ctx.store.scalar("SELECT count(*) FROM outbox") == before + 1
    with pytest.raises(LookupError):
        triage_case(ctx, "nope")


def test_holdout2_is_independent_and_measured() -> None:
    """Second hold-out (tests/data/README.md, "Hold-out 2"): 160 messages written by an outside writer who
    never saw the rules, the dev set or the first hold-out, so that angry recall rests on 55 angry messages
    instead of 15. Measured once, before any change, at intent 71.25 % and angry recall 76.4 % (42/55).
    The floors are those figures minus 5 points: they catch regressions, they are not the 85 %/90 % targets
    (which this set shows the rules do not yet meet)."""
    records = load("triage_holdout2.jsonl")
    assert len(records) == 160
    ids = [r["id"] for r in records]
    assert len(set(ids)) == len(ids) and all(i.startswith("h2-") for i in ids)
    for r in records:
        assert r["intent"] in INTENTS and r["emotion"] in EMOTIONS and isinstance(r["urgent"], bool), r["id"]
        assert r["kb_intent"] == (None if r["intent"] == "other" else r["intent"]), r["id"]
        assert r["lang"] in ("zh", "en") and r["text"].strip(), r["id"]
        assert r["urgent"] or r["emotion"] != "angry", r["id"]  # angry is always urgent
    assert {r["intent"] for r in records} == set(INTENTS)
    emotions = Counter(r["emotion"] for r in records)
    assert emotions["angry"] >= 50 and emotions["anxious"] >= 30 and emotions["calm"] >= 50
    # independent: no message shared with the sets the rules were written or checked on
    earlier = {r["text"] for name in ("triage_dev.jsonl", "triage_holdout.jsonl") for r in load(name)}
    assert not earlier & {r["text"] for r in records}
    report = evaluate(records)
    # After dev3, the intent fallback and lexicon widening: intent 79.4 % (127/160), angry recall
    # 80.0 %; with the emotion fallback (threshold from dev CV): angry recall 89.1 % (49/55),
    # precision 84.5 %. Floors = measured - 5 points.
    assert report.intent_accuracy >= 0.794 - 0.05
    assert report.angry_recall >= 0.891 - 0.05


def test_emotion_model_is_shipped_compact_and_equals_the_trainer_output() -> None:
    """The emotion fallback lives next to the intent model in intent_model.json: whole-number counts, sorted keys,
    and byte for byte what train_intent_model.py writes from the dev files (the intent model is unchanged by it)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_intent_model", DATA / "train_intent_model.py")
    trainer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trainer)
    built = trainer.build(trainer.dev_records())
    shipped_text = (Path(rules_mod.__file__).parent / "intent_model.json").read_text("utf-8")
    assert shipped_text == json.dumps(built, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    emotion = json.loads(shipped_text)["models"]["emotion"]
    assert emotion["classes"] == sorted(EMOTIONS) and sum(emotion["docs"]) == len(trainer.dev_records())
    assert all(isinstance(n, int) and n >= 2 for per in emotion["counts"].values() for n in [sum(per.values())])
    assert list(emotion["counts"]) == sorted(emotion["counts"])


@pytest.mark.parametrize("text", [
    "三天了一个人都不回 你们还想不想做了",
    "你们客服是机器人吧 说半天一句有用的都没有",
    "我已经说了第三遍了 到底有没有人在看",
])
def test_anger_without_lexicon_words_is_raised_by_the_emotion_model(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = triage(text)
    assert result.emotion == "angry" and result.urgent  # angry is always urgent
    assert any(label.startswith("model:angry ") for label in result.cue_labels)
    rules = rules_mod.load()
    monkeypatch.setattr(rules, "model_angry_at", 1.1)  # the lexicon alone does not hear the anger
    assert triage(text).emotion != "angry"


@pytest.mark.parametrize("text", [
    "东西收到了 挺好的 谢谢", "第三次买了 一直很满意", "不着急 有空回我就行", "请问这个杯子可以用洗碗机吗",
    "麻烦帮我看下物流 谢谢", "Could you tell me when it ships? Thanks",
])
def test_calm_look_alikes_stay_calm_with_the_emotion_model(text: str) -> None:
    result = triage(text)
    assert result.emotion == "calm" and not result.urgent
    assert not any(label.startswith("model:angry") or label.startswith("model:anxious") for label in result.cue_labels)


def test_emotion_model_only_raises_and_its_threshold_is_configured() -> None:
    rules = rules_mod.load()
    assert 0.5 <= rules.model_angry_at <= 1.0 and rules.model_anxious_at > 1.0  # calm → anxious is off (see README)
    shouted = triage("你们怎么做事的 别浪费我时间")  # the lexicon already says angry: no model cue needed
    assert shouted.emotion == "angry" and not any(c.kind == "model" and c.text.startswith("angry") for c in shouted.cues)
    assert triage("").emotion == "calm" and triage("在吗").emotion == "calm"


def test_holdout3_is_independent_and_measured() -> None:
    """Hold-out 3: 160 messages written by someone who saw neither the rules nor any other set, after
    the intent and emotion fallback models were final; evaluated once (intent 81.9 %, angry recall
    85.2 %, precision 78.0 %, urgent 88.1 %, KB top-3 91.5 %). Floors = measured - 5 points."""
    records = load("triage_holdout3.jsonl")
    assert len(records) == 160 and len({r["id"] for r in records}) == 160
    assert all(r["id"].startswith("h3-") for r in records)
    assert sum(r["emotion"] == "angry" for r in records) >= 50
    assert all(r["urgent"] for r in records if r["emotion"] == "angry")
    earlier = {r["text"] for name in ("triage_dev.jsonl", "triage_dev3.jsonl", "triage_holdout.jsonl",
                                      "triage_holdout2.jsonl") for r in load(name)}
    assert not earlier & {r["text"] for r in records}
    report = evaluate(records)
    assert report.intent_accuracy >= 0.819 - 0.05
    assert report.angry_recall >= 0.852 - 0.05


def test_holdout4_is_independent_and_measured() -> None:
    """Hold-out 4: 200 messages written blind (the writer saw only the labelling rules) while the dev4
    round was under way, evaluated once after it. Two of its texts turned out to be word-for-word in
    earlier sets (short generic lines); they are left out of the figures: on the other 198, intent
    79.3 %, angry recall 89.2 %, precision 96.7 %, urgent 96.5 %. Floors = measured - 5 points."""
    records = load("triage_holdout4.jsonl")
    assert len(records) == 200 and len({r["id"] for r in records}) == 200
    assert all(r["urgent"] for r in records if r["emotion"] == "angry")
    earlier = {r["text"] for name in ("triage_dev.jsonl", "triage_dev3.jsonl", "triage_dev4.jsonl",
                                      "triage_holdout.jsonl", "triage_holdout2.jsonl", "triage_holdout3.jsonl")
               for r in load(name)}
    unseen = [r for r in records if r["text"] not in earlier]
    assert len(unseen) == 198
    report = evaluate(unseen)
    assert report.intent_accuracy >= 0.793 - 0.05
    assert report.angry_recall >= 0.892 - 0.05
    assert report.angry_precision >= 0.967 - 0.05
