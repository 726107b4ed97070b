"""The encoder student end to end on a tiny local BERT: NumPy runtime parity, training, valid output."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.students.tiny import build_tiny_bert  # noqa: E402
from vibegrade.data.rows import parse_row  # noqa: E402
from vibegrade.schema import ADJUST_KEYS, SELECTIVE_COLORS, ToolChain  # noqa: E402
from vibegrade.students.encoder_student import EncoderStudent  # noqa: E402
from vibegrade.students.encoder_training import EncoderTrainConfig, train_encoder_student  # noqa: E402
from vibegrade.students.encoders import NumpyBertEncoder  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_bert(tmp_path_factory.mktemp("tiny_bert"))


def torch_embed(model, tok, texts):
    enc = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**enc).last_hidden_state
    m = enc["attention_mask"].unsqueeze(-1).float()
    return torch.nn.functional.normalize((out * m).sum(1) / m.sum(1), dim=-1).numpy()


def test_numpy_runtime_matches_torch_including_merged_lora(tiny):
    pytest.importorskip("peft", reason="LoRA needs peft (the train extra)")
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel, AutoTokenizer

    texts = ["warm golden morning", "dark noir night", "make it look like the matrix", "x"]
    tok = AutoTokenizer.from_pretrained(str(tiny))
    base = AutoModel.from_pretrained(str(tiny)).eval()
    ref_base = torch_embed(base, tok, texts)
    np.testing.assert_allclose(NumpyBertEncoder(tiny, exact_gelu=True).encode(texts), ref_base, atol=2e-5)
    np.testing.assert_allclose(NumpyBertEncoder(tiny).encode(texts), ref_base, atol=1e-3)  # fast tanh GELU

    from vibegrade.students.encoder_training import _lora_target_names
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=_lora_target_names(base)))
    torch.manual_seed(0)
    lora = {}
    for name, mod in peft_model.named_modules():
        if hasattr(mod, "lora_B") and "default" in mod.lora_B:
            torch.nn.init.normal_(mod.lora_B["default"].weight, std=0.2)  # non-zero adapters
            key = name.split("base_model.model.", 1)[-1]
            lora[key] = (mod.lora_A["default"].weight.detach().numpy(),
                         mod.lora_B["default"].weight.detach().numpy(),
                         8 / 4)
    peft_model.eval()
    ref = torch_embed(peft_model, tok, texts)
    got = NumpyBertEncoder(tiny, lora=lora, exact_gelu=True).encode(texts)
    np.testing.assert_allclose(got, ref, atol=3e-5)
    assert np.abs(got - NumpyBertEncoder(tiny, exact_gelu=True).encode(texts)).max() > 1e-3  # adapters matter


def _rows():
    def adj(**kw):
        return {k: kw.get(k, 0) for k in ADJUST_KEYS}

    rat = {"adjust": "a", "selective_adjust": "s", "filter": "f"}
    specs = []
    # every row has its own numbers (the dev split groups rows with identical settings)
    for i, w in enumerate(("warm", "golden", "sunny", "cozy", "summer", "fire")):
        specs.append((f"{w} look", adj(temperature=50 + i, vibrance=20), {},
                      {"name": "lovely_day", "intensity": 60}))
    for i, w in enumerate(("cold", "icy", "winter", "snow", "frost", "blue")):
        specs.append((f"{w} vibes", adj(temperature=-50 - i, saturation=-20), {},
                      {"name": "winter", "intensity": 70}))
    for i, w in enumerate(("dark", "moody", "horror", "noir", "gloomy", "night")):
        specs.append((f"{w} film", adj(exposure=-30 - i, contrast=30), {},
                      {"name": "darkness", "intensity": 60}))
    for i, w in enumerate(("green", "forest", "matrix", "neon", "pink", "purple")):
        sel = {c: {"saturation": 40 + i if c == "green" else 0, "luminance": 0} for c in SELECTIVE_COLORS}
        specs.append((f"make it {w}", {}, sel, {"name": "none", "intensity": 0}))
    rows = []
    for intent, a, s, f in specs:
        row, errs = parse_row({"intent": intent, "rationale": rat, "adjust": a,
                               "selective_adjust": s, "filter": f})
        assert not errs, errs
        rows.append(row)
    return rows


def test_training_loop_learns_and_saves_small_valid_model(tiny, tmp_path):
    rows = _rows()
    events = []
    out = tmp_path / "student"
    summary = train_encoder_student(rows, out, EncoderTrainConfig(encoder=str(tiny), epochs=12, batch_size=8,
                                                                  lr_heads=5e-3, lr_adapters=2e-3,
                                                                  dev_fraction=0.25, threads=1,
                                                                  seed=1), progress=events.append)
    losses = [e["train_loss"] for e in summary["epochs"]]
    assert losses[-1] < losses[0] * 0.7  # the loss falls
    dev = [e["dev_overall"] for e in summary["epochs"]]
    assert summary["best_epoch"] == 1 + int(np.argmax(dev))  # the checkpoint is chosen by the dev score
    assert any("step" in e for e in events) and any("dev_overall" in e for e in events)
    files = {p.name: p.stat().st_size for p in out.iterdir()}
    assert set(files) == {"config.json", "weights.safetensors", "memory.jsonl",
                          "memory.safetensors", "encoder"}
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["kind"] == "encoder" and cfg["lora"]["r"] == 8 and "winter" in cfg["presets"]
    # the folder is self-contained: the encoder ships inside with the adapters merged (float16) ...
    assert cfg["encoder"] == "encoder" and cfg["lora_merged"] > 0
    assert {p.name for p in (out / "encoder").iterdir()} == {"config.json", "model.safetensors",
                                                             "tokenizer.json"}
    # ... and every decoder that was compared on the dev rows is reported, with the chosen one
    decs = cfg["training"]["memory"]["decoders"]
    assert {d["decoder"] for d in decs} == {"heads", "retrieval", "hybrid"}
    assert cfg["decoder"] in {"heads", "retrieval", "hybrid"}

    student = EncoderStudent(out)
    preds = student.predict([r.intent for r in rows] + ["", "!!!", "x" * 500])
    for c in preds:
        ToolChain.model_validate(c.to_wire())  # valid by construction, even for odd input
    train_preds = preds[:len(rows)]
    # the memory holds the teacher's answers; with the threshold forced on, known requests get them exactly
    assert len(student.memory_chains) == len(rows)
    student.memory_threshold = 0.999
    assert student.predict([rows[0].intent])[0] == rows[0].chain
    warm = [p for r, p in zip(rows, train_preds) if r.chain.filter.name == "lovely_day"]
    cold = [p for r, p in zip(rows, train_preds) if r.chain.filter.name == "winter"]
    assert np.mean([p.adjust.temperature for p in warm]) > np.mean([p.adjust.temperature for p in cold]) + 20
    from vibegrade.evaluation.metrics import evaluate_chains
    assert evaluate_chains(train_preds, [r.chain for r in rows])["overall"] > 0.5


def test_bundled_encoder_matches_base_plus_adapters(tiny, tmp_path):
    """Serving without the encoder package: the merged float16 encoder inside the model folder gives the
    same embeddings as base weights + LoRA adapters, and the same answers."""
    from vibegrade.students.encoder_training import bundle_encoder

    out = tmp_path / "m"
    train_encoder_student(_rows(), out,
                          EncoderTrainConfig(encoder=str(tiny), epochs=2, batch_size=8, dev_fraction=0.25,
                                                           threads=1, seed=2, bundle_encoder=False))
    texts = ["warm look", "make it matrix", "icy vibes", "noir film please"]
    before = EncoderStudent(out)
    assert before.encoder is not None and not (out / "encoder").exists()
    e0, p0 = before.embed(texts), before.predict(texts)
    bundle_encoder(out, str(tiny))
    after = EncoderStudent(out)
    assert (out / "encoder" / "model.safetensors").is_file()
    np.testing.assert_allclose(after.embed(texts), e0, atol=2e-3)
    assert after.predict(texts) == p0
    # an adapter for a layer the encoder lacks is an error, not silently ignored
    from safetensors.numpy import load_file, save_file

    w = load_file(str(out / "weights.safetensors"))
    w["lora.encoder.layer.9.attention.self.query.A"] = np.zeros((8, 32), np.float32)
    w["lora.encoder.layer.9.attention.self.query.B"] = np.zeros((32, 8), np.float32)
    save_file(w, str(out / "weights.safetensors"))
    cfg = json.loads((out / "config.json").read_text())
    cfg["encoder"] = cfg["encoder_base"]
    (out / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="unknown layer"):
        bundle_encoder(out, str(tiny))


def test_extend_memory_adds_new_requests_embedded_by_the_model_itself(tiny, tmp_path):
    """Rows appended to a trained model's memory are answered word for word and found as neighbours; rows it
    holds already are not added twice; the encoder and heads are untouched."""
    from vibegrade.students.encoder_training import extend_memory

    out = tmp_path / "m"
    train_encoder_student(_rows(), out,
                          EncoderTrainConfig(encoder=str(tiny), epochs=1, batch_size=8, dev_fraction=0.25,
                                             threads=1, seed=3, bundle_encoder=False))
    weights = (out / "weights.safetensors").read_bytes()
    before = EncoderStudent(out)
    n0 = len(before.memory_intents)
    rat = {"adjust": "a", "selective_adjust": "s", "filter": "f"}
    new, errs = parse_row({"intent": "pink frost", "rationale": rat,
                           "adjust": {k: (33 if k == "tint" else 0) for k in ADJUST_KEYS},
                           "selective_adjust": {}, "filter": {"name": "purple_rain", "intensity": 41}})
    assert not errs
    got = extend_memory(out, [new, _rows()[0], new], "a test row")
    assert got == {"added": 1, "rows": n0 + 1}
    after = EncoderStudent(out)
    assert len(after.memory_intents) == n0 + 1 and after.memory_emb.shape[0] == n0 + 1
    np.testing.assert_allclose(after.memory_emb[-1], before.embed(["pink frost"])[0], atol=2e-3)
    answer = after.predict(["Pink Frost"])[0]
    assert answer.filter.name == "purple_rain" and answer.filter.intensity == 41
    assert (out / "weights.safetensors").read_bytes() == weights
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["training"]["memory_extensions"] == [{"rows": 1, "note": "a test row"}]
    assert extend_memory(out, [new], "again") == {"added": 0, "rows": n0 + 1}
