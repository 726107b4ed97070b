"""Tiny generative models built inside the tests (no downloads).

* :func:`build_tiny_t5` -- a 1+1-layer T5 with a sentencepiece-like BPE tokenizer whose vocabulary, like
  flan-t5's, cannot write ``{`` or ``}`` (so the student's character substitution is exercised).
* :func:`build_tiny_llama` -- a 1-layer Llama with a byte-level BPE tokenizer (BOS/EOS, no pad token)
  and, optionally, a Llama-2-style chat template.

Both tokenizers are trained here on the student prompts and JSON targets, so sequences stay short.
"""

from __future__ import annotations

import random
from pathlib import Path

from vibegrade.data.rows import VibeRow, parse_row
from vibegrade.llm.prompts import student_prompt, student_target
from vibegrade.schema import ADJUST_KEYS, SELECTIVE_COLORS, TOOL_NAMES

#: A few installed presets: short filter prompts keep the tests fast.
PRESETS = ("lovely_day", "winter", "darkness")

LLAMA_CHAT_TEMPLATE = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}[INST] {{ "
                       "m['content'] }} "
                       "[/INST]{% else %} {{ m['content'] }} {{ eos_token }}{% endif %}{% endfor %}")

_WORDS = ("warm golden sunny cozy summer fire cold icy winter snow frost blue dark moody horror noir gloomy "
          "night green forest matrix neon pink purple look vibes film make it").split()


def rows() -> list[VibeRow]:
    """16 labelled requests in four clear groups; every row has its own numbers (the dev split groups
    rows with identical settings)."""
    def adj(**kw: int) -> dict[str, int]:
        return {k: kw.get(k, 0) for k in ADJUST_KEYS}

    rat = {"adjust": "a", "selective_adjust": "s", "filter": "f"}
    specs = []
    for i, w in enumerate(("warm", "golden", "sunny", "cozy")):
        specs.append((f"{w} look", adj(temperature=50 + i, vibrance=20), {},
                      {"name": "lovely_day", "intensity": 60}))
    for i, w in enumerate(("cold", "icy", "winter", "snow")):
        specs.append((f"{w} vibes", adj(temperature=-50 - i, saturation=-20), {},
                      {"name": "winter", "intensity": 70}))
    for i, w in enumerate(("dark", "moody", "horror", "noir")):
        specs.append((f"{w} film", adj(exposure=-30 - i, contrast=30), {},
                      {"name": "darkness", "intensity": 60}))
    for i, w in enumerate(("green", "forest", "matrix", "neon")):
        sel = {c: {"saturation": 40 + i if c == "green" else 0, "luminance": 0} for c in SELECTIVE_COLORS}
        specs.append((f"make it {w}", {}, sel, {"name": "none", "intensity": 0}))
    out = []
    for intent, a, s, f in specs:
        row, errs = parse_row({"intent": intent, "rationale": rat, "adjust": a,
                               "selective_adjust": s, "filter": f})
        assert not errs and row is not None, errs
        out.append(row)
    return out


def corpus(seed: int = 0) -> list[str]:
    """Student prompts and JSON targets, plus every number the targets can hold."""
    rng = random.Random(seed)
    texts: list[str] = []
    for r in rows():
        for tool in TOOL_NAMES:
            texts.append(student_prompt(tool, r.intent, PRESETS))
            texts.append(student_target(tool, r.chain))
    for _ in range(60):
        intent = " ".join(rng.sample(_WORDS, 3))
        texts.append(student_prompt(rng.choice(TOOL_NAMES), intent, PRESETS))
    texts.append(" ".join(str(i) for i in range(-100, 361)))
    return texts


def _wrap(tokenizer_object, folder: Path, **special: str):
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(tokenizer_object=tokenizer_object, **special)
    tok.save_pretrained(folder)
    return tok


def build_t5_tokenizer(folder: Path, vocab_size: int = 600):
    """A sentencepiece-like BPE (Metaspace) without ``{`` and ``}`` in its vocabulary, T5 specials
    (``<pad>`` = 0, ``</s>`` = 1, ``<unk>`` = 2) and ``</s>`` appended to every encoded text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tk = Tokenizer(models.BPE(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Metaspace(), pre_tokenizers.Punctuation(),
                                                pre_tokenizers.Digits()])
    tk.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<pad>", "</s>", "<unk>"])
    tk.train_from_iterator([t.replace("{", "").replace("}", "") for t in corpus()], trainer)
    tk.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return _wrap(tk, folder, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")


def build_llama_tokenizer(folder: Path, vocab_size: int = 600, chat_template: bool = True):
    """A byte-level BPE (any text is encodable) with Llama specials: ``<unk>`` = 0, ``<s>`` = 1,
    ``</s>`` = 2, no pad token; optionally a Llama-2-style chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<unk>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tk.train_from_iterator(corpus(), trainer)
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    tok = _wrap(tk, folder, **special)
    if chat_template:
        tok.chat_template = LLAMA_CHAT_TEMPLATE
        tok.save_pretrained(folder)
    return tok


def build_tiny_t5(folder: Path, d_model: int = 32) -> Path:
    """A 1+1-layer T5 (random weights) and its tokenizer, saved with ``save_pretrained``."""
    from transformers import T5Config, T5ForConditionalGeneration

    folder.mkdir(parents=True, exist_ok=True)
    tok = build_t5_tokenizer(folder)
    cfg = T5Config(vocab_size=len(tok), d_model=d_model, d_kv=8, d_ff=2 * d_model, num_layers=1,
                   num_decoder_layers=1, num_heads=4, relative_attention_num_buckets=16, dropout_rate=0.0,
                   pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                   decoder_start_token_id=tok.pad_token_id)
    T5ForConditionalGeneration(cfg).save_pretrained(folder)
    return folder


def build_tiny_llama(folder: Path, hidden: int = 32, chat_template: bool = True) -> Path:
    """A 1-layer Llama (random weights) and its tokenizer, saved with ``save_pretrained``."""
    from transformers import LlamaConfig, LlamaForCausalLM

    folder.mkdir(parents=True, exist_ok=True)
    tok = build_llama_tokenizer(folder, chat_template=chat_template)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=2 * hidden,
                      num_hidden_layers=1,
                      num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=512,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, tie_word_embeddings=False,
                      initializer_range=0.3)  # a tiny random lm_head needs larger weights to move its logits
    LlamaForCausalLM(cfg).save_pretrained(folder)
    return folder
