"""The shipped vibes dataset itself: valid, unique, big enough, covering what people type, split by
concept."""

import collections
from pathlib import Path

from vibegrade.data.check import check_files
from vibegrade.data.rows import read_rows
from vibegrade.students.direction import conflicts

VIBES = Path(__file__).resolve().parents[2] / "data" / "vibes"


def _all_rows():
    return read_rows(sorted(VIBES.glob("*.jsonl")))


def test_dataset_is_valid_unique_and_passes_the_authoring_rules():
    rep = check_files(sorted(VIBES.glob("*.jsonl")))
    assert rep["errors"] == []  # includes: no all-empty answers, rationales agree with settings
    assert rep["rows"] >= 10_000 and rep["unique_intents"] == rep["rows"]
    assert 0.85 <= rep["usage"]["adjust"] <= 1.0
    assert 0.15 <= rep["usage"]["selective_adjust"] <= 0.6  # v2.2 §7.3: only where the words give a reason
    assert 0.5 <= rep["usage"]["filter"] <= 0.8
    assert len(rep["presets"]) == 33


def test_every_row_has_a_concept_and_one_bare_wording_per_concept():
    rows = _all_rows()
    assert all(r.concept and r.group and r.category and r.phrasing in ("bare", "variant") for r in rows)
    bare = collections.Counter(r.concept for r in rows if r.phrasing == "bare")
    assert set(bare) == {r.concept for r in rows}


def test_coverage_list_is_covered():
    cov = [x.strip().lower() for x in (VIBES / "coverage.txt").read_text(encoding="utf-8").splitlines()
           if x.strip() and not x.startswith("#")]
    assert len(set(cov)) >= 600
    keys = {r.key for r in _all_rows()}
    for must in ("vintage", "retro", "cinematic", "cyberpunk", "selfie", "black and white",
                 "slightly warmer"):
        assert must in keys


def test_black_and_white_stocks_render_black_and_white():
    rows = {r.key: r for r in _all_rows()}
    for k in ("black and white", "kodak tri-x 400", "ilford hp5 plus", "monochrome", "film noir"):
        if k in rows:
            assert rows[k].chain.adjust.saturation == -100, k


def test_split_by_concept_is_disjoint_complete_and_large_enough():
    split = VIBES / "split"
    train = read_rows([split / "train.jsonl"])
    test = read_rows([split / "test.jsonl"])
    phrasing = read_rows([split / "phrasing.jsonl"])
    all_rows = _all_rows()
    assert len(test) >= 1000 and len(phrasing) >= 150
    keys = [r.key for r in train + test + phrasing]
    assert len(keys) == len(set(keys)) and set(keys) == {r.key for r in all_rows}
    train_c = {r.concept for r in train}
    assert not train_c & {r.concept for r in test}  # unseen looks only
    assert not {r.group for r in train} & {r.group for r in test}  # nor the same look written twice
    assert {r.concept for r in phrasing} <= train_c  # new wordings of training looks


def test_no_answer_contradicts_its_direction_words():
    """Spot-check of direction: corrections whose words say warmer/cooler move temperature that way."""
    bad = []
    for r in _all_rows():
        if r.category != "corrections":
            continue
        t = r.chain.adjust.temperature
        words = r.intent.lower()
        if words in ("warmer", "slightly warmer", "much warmer", "too cold", "too blue") and t <= 0:
            bad.append(r.intent)
        if words in ("cooler", "slightly cooler", "much cooler", "too warm", "too yellow") and t >= 0:
            bad.append(r.intent)
    assert bad == []
    assert conflicts("too warm", "warmer")  # the guard the students rely on reads these words the same way


def _rules_script(name: str):
    """A module of scripts/vibes_rules/ (the §7.3 word lists of ``rules``, the audit logs of
    ``apply_audit``), loaded as the scripts load it."""
    import importlib.util

    path = VIBES.parents[1] / "scripts" / "vibes_rules" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"vibes_rules_{name}", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _audit_logs():
    """The last decision per concept, over the three audits in order, as apply_audit.py applies them."""
    return _rules_script("apply_audit").read_logs(VIBES / "reviews")


def test_selective_only_where_the_request_words_give_a_reason():
    """STYLE_GUIDE §7.3 (v2.2): a colour named, a subject with a signature colour named, or a listed
    colour-defined look. A film's or painter's palette is not a reason; the exceptions are the reviewed
    KEEP decisions of the audit logs."""
    reason = _rules_script("rules").reason
    assert reason("pink sky") and reason("Kodak Portra 400") and reason("lake at dawn")
    assert not reason("blade runner 2049") and not reason("wes anderson") and not reason("psychedelic")
    keep = {c for c, e in _audit_logs().items() if e["decision"] == "KEEP"}
    by_concept = collections.defaultdict(list)
    for r in _all_rows():
        by_concept[r.concept].append(r)
    offenders = [c for c, rows in by_concept.items()
                 if rows[0].chain.selective_adjust.used
                 and rows[0].category != "food_drink"
                 and not any(reason(r.intent) for r in rows) and c not in keep]
    assert offenders == []


def test_the_v22_audit_logs_are_what_the_data_holds():
    logs = _audit_logs()
    assert len(logs) >= 1000
    rows = _all_rows()
    seen = set()
    for r in rows:
        e = logs.get(r.concept)
        if e is None or e["decision"] != "CHANGE":
            continue
        seen.add(r.concept)
        adj = r.chain.adjust.model_dump()
        assert {k: v for k, v in adj.items() if v} == {k: v for k, v in e["adjust"].items() if v}, r.intent
        sel = {c: {ch: v for ch, v in d.items() if v}
               for c, d in r.chain.selective_adjust.model_dump().items()}
        assert {c: d for c, d in sel.items() if d} == {c: {ch: v for ch, v in d.items() if v}
                                                       for c, d in (e.get("selective_adjust") or {}).items()
                                                       if any(d.values())}, r.intent
    assert seen == {c for c, e in logs.items() if e["decision"] == "CHANGE"}
