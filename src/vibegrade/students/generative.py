# Not split (~650 lines): one training recipe read top to bottom (the numbered steps below); prompting,
# collation, generation, the loop and saving are private helpers used only by it.
"""Generative students: a seq2seq or causal LM, LoRA-tuned to write one tool's settings as JSON.

Recipe (read top to bottom; it follows the original approach, arXiv 2410.02952):

1. Every dataset row becomes three training examples, one per tool: the short student prompt of
   :func:`vibegrade.llm.prompts.student_prompt` (request, the tool's parameters or presets, "JSON only")
   and, as the target, the tool's settings as compact JSON (:func:`vibegrade.llm.prompts.student_target`).
2. ``seq2seq`` (default ``google/flan-t5-base``): the prompt is the encoder input, the JSON the labels.
   ``causal`` (default ``meta-llama/Llama-2-7b-chat-hf``): the prompt (through the tokenizer's chat
   template when it has one, else plain text and a newline), then the JSON and EOS; the loss covers only
   the JSON and EOS (labels are -100 on the prompt).
3. The base model stays frozen (optionally loaded in 4-bit NF4 on a CUDA GPU, QLoRA-style) and gets LoRA
   adapters: r 64, alpha 64, dropout 0.05, on the attention projections peft uses by default for the
   architecture (``lora_target_modules`` to change).
4. A plain PyTorch loop: AdamW (lr 4e-5, weight decay 0.001), linear warm-up over the first 3 % of the
   steps then a constant rate, gradients clipped at 0.3, batch 4, 10 epochs.
5. After every epoch the student predicts a held-out dev slice (grouped split of the training rows),
   scored with the project metrics; the adapters of the best of the last three epochs are kept.
6. Prediction: greedy, batched decoding of the three tool answers; each is parsed by the teacher's parser
   (:func:`vibegrade.llm.parse.parse_answer`: lenient, never raises, clamps to the schema) and the three
   are combined into a chain that is valid by construction.

A saved model is a folder with ``config.json`` (kind, base model id, presets, train config, training
summary) and the LoRA adapter as written by peft's ``save_pretrained`` (``adapter_config.json`` and
``adapter_model.safetensors``); the base model is loaded from its id or path, never copied.

Some tokenizers cannot write every character of the JSON targets: flan-t5's vocabulary has no ``{`` or
``}``. Such characters are replaced, in prompts and targets, by free characters the tokenizer can write
(for flan-t5 ``(`` and ``)``); the replacement is stored in ``config.json`` (``char_map``) and undone on
the generated text before parsing.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import random
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vibegrade.evaluation.metrics import evaluate_chains
from vibegrade.llm.parse import combine, parse_answer
from vibegrade.llm.prompts import student_messages, student_prompt, student_target
from vibegrade.schema import TOOL_NAMES, ToolChain
from vibegrade.students import StudentLoadError
from vibegrade.tools.filters import preset_names

if TYPE_CHECKING:
    import torch

__all__ = [
    "DEFAULT_BASE_MODELS",
    "GenerativeStudent",
    "GenerativeTrainConfig",
    "MODEL_KINDS",
    "dev_split",
    "train_generative_student",
]

#: The two generative families; the family is also the ``kind`` of the saved model.
MODEL_KINDS: tuple[str, ...] = ("seq2seq", "causal")
#: The base model of each family in the original recipe.
DEFAULT_BASE_MODELS: dict[str, str] = {"seq2seq": "google/flan-t5-base",
                                       "causal": "meta-llama/Llama-2-7b-chat-hf"}
ADAPTER_FILES: tuple[str, ...] = ("adapter_config.json", "adapter_model.safetensors")
#: Stand-ins for characters a tokenizer cannot write (the first free ones that it can write are used).
_SUBSTITUTES = "()[]<>|~^"
_IGNORE = -100
Progress = Callable[[dict[str, Any]], None]


@dataclass
class GenerativeTrainConfig:
    """Training settings; the defaults follow the original recipe.

    Attributes:
        family: ``"seq2seq"`` or ``"causal"``.
        base_model: Hugging Face id or local folder; ``None`` means the family's default
            (:data:`DEFAULT_BASE_MODELS`).
        lora_target_modules: module names for the adapters (or ``"all-linear"``); ``None`` means peft's
            default for the architecture (T5 ``q``/``v``, Llama ``q_proj``/``v_proj``), or all linear
            layers for an architecture peft has no default for.
        load_in_4bit: load the frozen base in 4-bit NF4 (bitsandbytes, CUDA only).
        warmup_ratio: share of all steps with a linear warm-up; the rate is constant afterwards.
        keep_best_of_last: the kept adapters are the best of this many final epochs by dev score
            (ties go to the later epoch; without dev rows, the lowest training loss).
        dev_fraction: share of the rows held out for choosing the epoch (grouped by settings).
        dev_every_epoch: score the dev slice after every epoch (else only the candidate epochs).
        max_new_tokens: generation limit for one tool's JSON; raised automatically at training time if
            the longest training target needs more.
        device: ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        threads: torch CPU threads (``None``: torch's default).
    """

    family: str = "seq2seq"
    base_model: str | None = None
    lora_r: int = 64
    lora_alpha: int = 64
    lora_dropout: float = 0.05
    lora_target_modules: list[str] | str | None = None
    load_in_4bit: bool = False
    lr: float = 4e-5
    warmup_ratio: float = 0.03
    weight_decay: float = 0.001
    max_grad_norm: float = 0.3
    batch_size: int = 4
    epochs: int = 10
    keep_best_of_last: int = 3
    dev_fraction: float = 0.1
    dev_every_epoch: bool = True
    max_new_tokens: int = 160
    predict_batch_size: int = 16
    seed: int = 0
    device: str = "auto"
    threads: int | None = None

    def resolved(self) -> GenerativeTrainConfig:
        """A checked copy with the default base model filled in (raises ``ValueError``)."""
        _check_family(self.family)
        if self.epochs < 1 or self.batch_size < 1 or self.keep_best_of_last < 1:
            raise ValueError("epochs, batch_size and keep_best_of_last must be at least 1")
        return replace(self, base_model=self.base_model or DEFAULT_BASE_MODELS[self.family])


# ----------------------------------------------------------------------------------------------------------
# Checks and loading
# ----------------------------------------------------------------------------------------------------------


def _check_family(family: str) -> None:
    if family not in MODEL_KINDS:
        raise ValueError(f"unknown generative family {family!r}; expected one of {', '.join(MODEL_KINDS)}")


def _device(name: str) -> torch.device:
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested but no CUDA GPU is available")
    return dev


def _check_4bit(device: torch.device) -> None:
    """4-bit NF4 loading needs a CUDA device and the bitsandbytes package."""
    if device.type != "cuda":
        raise ValueError("4-bit (NF4) loading needs a CUDA GPU and the bitsandbytes package; "
                         f"the model would run on {device.type} (set load_in_4bit=False)")
    if importlib.util.find_spec("bitsandbytes") is None:
        raise ValueError("4-bit (NF4) loading needs a CUDA GPU and the bitsandbytes package; "
                         "bitsandbytes is not installed (pip install bitsandbytes)")


def _source(base: str) -> str:
    """What ``from_pretrained`` gets: the expanded local folder if there is one, else the hub id."""
    p = Path(base).expanduser()
    return str(p) if p.is_dir() else base


def _base_config(base: str) -> Any:
    """The base model's transformers config, or a one-line ``ValueError`` saying why it cannot be loaded."""
    from transformers import AutoConfig

    p = Path(base).expanduser()
    if p.is_dir():
        if not (p / "config.json").is_file():
            raise ValueError(f"base model folder {str(p)!r} has no config.json")
    elif p.is_absolute() or base.startswith((".", "~")) or base.count("/") > 1 or p.exists():
        raise ValueError(f"cannot load base model {base!r}: no such folder")
    try:
        return AutoConfig.from_pretrained(_source(base))
    except Exception as e:  # noqa: BLE001 -- hub, cache and parsing errors all end up here
        raise ValueError(f"cannot load base model {base!r}: not a local folder and not available from the "
                         f"Hugging Face hub or its cache ({type(e).__name__})") from None


def _check_architecture(family: str, base: str, config: Any) -> None:
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES,
    )

    names = (MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES if family == "seq2seq"
             else MODEL_FOR_CAUSAL_LM_MAPPING_NAMES)
    model_type = getattr(config, "model_type", None)
    if model_type not in names:
        other = "causal" if family == "seq2seq" else "seq2seq"
        raise ValueError(f"base model {base!r} (model_type {model_type!r}) is not a {family} language model; "
                         f"try family {other!r}")


def _load_tokenizer(base: str) -> Any:
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(_source(base))
    except Exception as e:  # noqa: BLE001
        raise ValueError(f"cannot load the tokenizer of base model {base!r} ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''})") from None
    if tok.eos_token_id is None:
        raise ValueError(f"the tokenizer of base model {base!r} has no EOS token")
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token  # only used for padding; masked out of the loss and attention
    return tok


def _check_base(family: str, base: str) -> None:
    """Fail early, in one line, on a base model that cannot be loaded or is of the wrong family."""
    _check_architecture(family, base, _base_config(base))


def _load_base(family: str, base: str, device: torch.device, load_in_4bit: bool) -> Any:
    """The frozen base model on ``device`` (4-bit NF4 with bf16 compute when asked); call
    :func:`_check_base` first."""
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    cls = AutoModelForSeq2SeqLM if family == "seq2seq" else AutoModelForCausalLM
    if load_in_4bit:
        _check_4bit(device)
        from transformers import BitsAndBytesConfig

        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                   bnb_4bit_use_double_quant=True,
                                   bnb_4bit_compute_dtype=torch.bfloat16)
        return cls.from_pretrained(_source(base), quantization_config=quant, dtype=torch.bfloat16,
                                   device_map={"": device.index or 0})
    dtype = torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    model: Any = cls.from_pretrained(_source(base), dtype=dtype)  # transformers types .to() too narrowly
    return model.to(device)


def _add_lora(model: Any, cfg: GenerativeTrainConfig) -> Any:
    from peft import LoraConfig, TaskType, get_peft_model, prepare_model_for_kbit_training

    if cfg.load_in_4bit:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True,
                                                gradient_checkpointing_kwargs={"use_reentrant": False})
    targets = cfg.lora_target_modules
    if targets is None:
        try:
            from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as defaults
        except ImportError:  # older/newer peft layout
            defaults = {}
        targets = None if model.config.model_type in defaults else "all-linear"
    task = TaskType.SEQ_2_SEQ_LM if cfg.family == "seq2seq" else TaskType.CAUSAL_LM
    lcfg = LoraConfig(task_type=task, r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=targets, bias="none")
    with _quiet_peft():
        return get_peft_model(model, lcfg)


@contextmanager
def _quiet_peft() -> Iterator[None]:
    """peft reads a property that transformers 5 deprecates; its FutureWarning is not ours to act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        yield


# ----------------------------------------------------------------------------------------------------------
# Text <-> tokens
# ----------------------------------------------------------------------------------------------------------


def _writes(tok: Any, text: str) -> bool:
    """True when ``text`` survives encoding and decoding (whitespace aside)."""
    ids = tok(text, add_special_tokens=False)["input_ids"]
    return "".join(tok.decode(ids, skip_special_tokens=True).split()) == "".join(text.split())


def char_map_for(tok: Any, targets: Sequence[str]) -> dict[str, str]:
    """Substitutes for the characters of ``targets`` the tokenizer cannot write (usually ``{}``)."""
    chars = sorted(set("".join(targets)) - {" "})
    lost = [c for c in chars if not _writes(tok, f"a{c}a")]
    if not lost:
        return {}
    free = [s for s in _SUBSTITUTES if s not in chars and _writes(tok, f"a{s}a")]
    if len(free) < len(lost):
        raise ValueError(f"the tokenizer cannot write {''.join(lost)!r} and has no free stand-in characters")
    return dict(zip(lost, free))


class _Prompter:
    """Builds token ids of prompts and targets for one family and tokenizer, and decodes outputs."""

    def __init__(self, tok: Any, family: str, presets: Sequence[str], char_map: dict[str, str]) -> None:
        self.tok = tok
        self.family = family
        self.presets = list(presets)
        self.encode_map = str.maketrans(char_map)
        self.decode_map = str.maketrans({v: k for k, v in char_map.items()})
        self.chat = family == "causal" and bool(getattr(tok, "chat_template", None))

    def _ids(self, text: str) -> list[int]:
        return list(self.tok(text, add_special_tokens=False)["input_ids"])

    def prompt_ids(self, tool: str, intent: str) -> list[int]:
        if self.family == "seq2seq":  # the tokenizer's own specials (T5: a closing </s>)
            text = student_prompt(tool, intent, self.presets).translate(self.encode_map)
            return list(self.tok(text)["input_ids"])
        if self.chat:
            messages = [{**m, "content": m["content"].translate(self.encode_map)}
                        for m in student_messages(tool, intent, self.presets)]
            text = self.tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            return self._ids(text)  # the template writes BOS itself
        bos = [self.tok.bos_token_id] if self.tok.bos_token_id is not None else []
        return bos + self._ids(student_prompt(tool, intent, self.presets).translate(self.encode_map) + "\n")

    def target_ids(self, target: str) -> list[int]:
        return self._ids(target.translate(self.encode_map)) + [self.tok.eos_token_id]

    def example(self, tool: str, intent: str, target: str) -> dict[str, list[int]]:
        """Input ids and labels of one training example (causal: labels -100 on the prompt)."""
        prompt, answer = self.prompt_ids(tool, intent), self.target_ids(target)
        if self.family == "seq2seq":
            return {"input_ids": prompt, "labels": answer}
        return {"input_ids": prompt + answer, "labels": [_IGNORE] * len(prompt) + answer}

    def decode(self, ids: Sequence[int]) -> str:
        return self.tok.decode(ids, skip_special_tokens=True).translate(self.decode_map).strip()


def _pad(seqs: Sequence[Sequence[int]], value: int, left: bool = False) -> list[list[int]]:
    n = max(len(s) for s in seqs)
    return [([value] * (n - len(s)) + list(s)) if left else (list(s) + [value] * (n - len(s))) for s in seqs]


def _collate(batch: Sequence[dict[str, list[int]]], pad_id: int,
             device: torch.device) -> dict[str, torch.Tensor]:
    import torch

    ids = [b["input_ids"] for b in batch]
    return {
        "input_ids": torch.tensor(_pad(ids, pad_id), device=device),
        "attention_mask": torch.tensor(_pad([[1] * len(s) for s in ids], 0), device=device),
        "labels": torch.tensor(_pad([b["labels"] for b in batch], _IGNORE), device=device),
    }


class _Generator:
    """Greedy, batched generation of the three tool answers and their parsing into chains."""

    def __init__(self, model: Any, prompter: _Prompter, max_new_tokens: int, batch_size: int,
                 device: torch.device, parse_presets: Sequence[str]) -> None:
        from transformers import GenerationConfig

        self.model = model
        self.prompter = prompter
        self.batch_size = max(1, batch_size)
        self.device = device
        self.parse_presets = list(parse_presets)
        tok = prompter.tok
        start = getattr(model.config,
                        "decoder_start_token_id", None) if prompter.family == "seq2seq" else None
        self.gen_config = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, num_beams=1,
                                           eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                                           decoder_start_token_id=start)

    def texts(self, intents: Sequence[str]) -> list[dict[str, str]]:
        """The decoded answer of every tool for every request (in order)."""
        import torch

        jobs = [(i, tool, self.prompter.prompt_ids(tool, str(intent)))
                for i, intent in enumerate(intents) for tool in TOOL_NAMES]
        jobs.sort(key=lambda j: len(j[2]))  # similar lengths share a batch: less padding
        out: list[dict[str, str]] = [{} for _ in intents]
        causal = self.prompter.family == "causal"
        pad_id = self.prompter.tok.pad_token_id
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            for s in range(0, len(jobs), self.batch_size):
                chunk = jobs[s:s + self.batch_size]
                seqs = [j[2] for j in chunk]
                ids = torch.tensor(_pad(seqs, pad_id, left=causal), device=self.device)
                mask = torch.tensor(_pad([[1] * len(q) for q in seqs], 0, left=causal), device=self.device)
                gen = self.model.generate(input_ids=ids, attention_mask=mask,
                                          generation_config=self.gen_config)
                if causal:
                    gen = gen[:, ids.shape[1]:]
                for (i, tool, _), row in zip(chunk, gen.tolist()):
                    out[i][tool] = self.prompter.decode(row)
        if was_training:
            self.model.train()
        return out

    def predict_with_flags(self, intents: Sequence[str]) -> list[tuple[ToolChain, list[str]]]:
        """Chains (valid by construction) and the parser's flags, per request."""
        results = []
        for answers in self.texts(intents):
            parsed = [parse_answer(tool, answers.get(tool, ""), self.parse_presets) for tool in TOOL_NAMES]
            chain, _, flags = combine(parsed)
            # students answer with JSON only, by design: a missing rationale is not worth a flag
            results.append((chain, [f for f in flags if not f.startswith("no_rationale:")]))
        return results


def _parse_presets(presets: Sequence[str]) -> list[str]:
    """The model's presets that are installed here (a chain can only name an installed preset)."""
    installed = set(preset_names())
    return [p for p in presets if p in installed]


# ----------------------------------------------------------------------------------------------------------
# Serving
# ----------------------------------------------------------------------------------------------------------


class GenerativeStudent:
    """A trained seq2seq or causal student: base model + LoRA adapter, prompted once per tool.

    Args:
        path: the model folder (``config.json`` + adapter).
        base_model: load the base from here instead of the id/path recorded at training time.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` ...
        load_in_4bit: ``None`` = 4-bit only if the model was trained in 4-bit and CUDA and bitsandbytes
            are available;
            off-GPU the adapter runs on the full-precision base and is merged into it for speed.
        threads: set torch's CPU thread count (process-wide) when given.
    """

    def __init__(self, path: str | os.PathLike[str], base_model: str | None = None, device: str = "auto",
                 load_in_4bit: bool | None = None, threads: int | None = None) -> None:
        self.path = Path(path)
        try:
            self.config: dict[str, Any] = json.loads((self.path / "config.json").read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise StudentLoadError(f"{self.path}: cannot read config.json ({e})") from None
        self.kind: str = self.config.get("kind", "")
        if self.kind not in MODEL_KINDS:
            raise StudentLoadError(f"{self.path}: not a generative student (kind={self.kind!r})")
        missing = [f for f in ADAPTER_FILES if not (self.path / f).is_file()]
        if missing:
            raise StudentLoadError(f"{self.path}: incomplete model folder (missing {', '.join(missing)})")
        import torch
        from peft import PeftModel

        train_cfg = self.config.get("train_config", {})
        if threads:
            torch.set_num_threads(threads)
        self.base_model = base_model or self.config["base_model"]
        self.device = _device(device)
        if load_in_4bit is None:  # as trained, where this machine can
            load_in_4bit = (bool(train_cfg.get("load_in_4bit")) and self.device.type == "cuda"
                            and importlib.util.find_spec("bitsandbytes") is not None)
        if load_in_4bit:
            _check_4bit(self.device)
        _check_base(self.kind, self.base_model)
        tok = _load_tokenizer(self.base_model)
        base = _load_base(self.kind, self.base_model, self.device, load_in_4bit)
        with _quiet_peft():
            model = PeftModel.from_pretrained(base, str(self.path))
        if not load_in_4bit:
            model = model.merge_and_unload()
        model.eval()
        self.presets: list[str] = list(self.config.get("presets", []))
        prompter = _Prompter(tok, self.kind, self.presets, self.config.get("char_map", {}))
        self._generator = _Generator(model, prompter, int(self.config.get("max_new_tokens", 160)),
                                     int(train_cfg.get("predict_batch_size", 16)), self.device,
                                     _parse_presets(self.presets))

    @property
    def name(self) -> str:
        return self.config.get("name", self.path.name)

    def generate_texts(self, intents: Sequence[str]) -> list[dict[str, str]]:
        """The raw generated answer per tool for every request (before parsing)."""
        return self._generator.texts(list(intents)) if intents else []

    def predict_with_flags(self, intents: Sequence[str]) -> list[tuple[ToolChain, list[str]]]:
        """Chains plus the parser's repair flags (``lenient_json:adjust``, ``clamped:...``) per request."""
        return self._generator.predict_with_flags(list(intents)) if intents else []

    def predict(self, intents: Sequence[str]) -> list[ToolChain]:
        """Tool chains for the requests, in order (always valid)."""
        return [chain for chain, _ in self.predict_with_flags(intents)]


# ----------------------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------------------


def dev_split(rows: Sequence[Any], cfg: GenerativeTrainConfig) -> tuple[list[Any], list[Any]]:
    """The (train, dev) rows used by :func:`train_generative_student`: a grouped split (rows with identical
    settings stay together) of ``cfg.dev_fraction`` of the rows, seeded by ``cfg.seed``."""
    from vibegrade.data.split import dev_split as split

    return split(rows, cfg.dev_fraction, cfg.seed + 1)


def train_generative_student(rows: Sequence[Any], out_dir: str | os.PathLike[str],
                             cfg: GenerativeTrainConfig | None = None, progress: Progress | None = None,
                             presets: Sequence[str] | None = None) -> dict[str, Any]:
    """Train on dataset rows (:class:`vibegrade.data.rows.VibeRow`) and save the student to ``out_dir``.

    ``progress`` is called after every step with ``{"epoch", "epochs", "step", "steps", "loss"}`` and
    after every epoch with ``{"epoch", "epochs", "train_loss", "dev_overall"}`` (``dev_overall`` only when
    the epoch was scored). ``presets`` are the filter presets named in the prompts (default: the
    installed presets).

    Returns the training summary (also stored in ``config.json``): per-epoch ``train_loss``,
    ``dev_overall`` (``None`` when not scored) and ``adapter_norm`` (L2 norm of the LoRA weights after the
    epoch), ``best_epoch``, row and example counts, and the run time.
    """
    import torch

    cfg = (cfg or GenerativeTrainConfig()).resolved()
    device = _device(cfg.device)
    if cfg.load_in_4bit:
        _check_4bit(device)
    threads = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        return _train(list(rows), Path(out_dir), cfg, device, progress, presets)
    finally:
        torch.set_num_threads(threads)


def _train(rows: list[Any], out: Path, cfg: GenerativeTrainConfig, device: torch.device,
           progress: Progress | None, presets: Sequence[str] | None) -> dict[str, Any]:
    import torch

    base = str(cfg.base_model)
    if len(rows) < 2:
        raise ValueError("need at least 2 training rows")
    torch.manual_seed(cfg.seed)  # adapter initialisation and dropout
    rng = random.Random(cfg.seed)
    if presets is None:
        presets = list(preset_names())
    presets = list(presets)
    train_rows, dev_rows = dev_split(rows, cfg)

    # 1. examples: three per row, one per tool
    _check_base(cfg.family, base)  # a clear error before anything heavy
    tok = _load_tokenizer(base)
    targets = [(r.intent, tool, student_target(tool, r.chain)) for r in train_rows for tool in TOOL_NAMES]
    char_map = char_map_for(tok, [t for _, _, t in targets])
    prompter = _Prompter(tok, cfg.family, presets, char_map)
    examples = [prompter.example(tool, intent, target) for intent, tool, target in targets]
    longest_target = max(len(prompter.target_ids(student_target(tool, r.chain)))
                         for r in rows for tool in TOOL_NAMES)
    max_new_tokens = max(cfg.max_new_tokens, longest_target + 8)

    # 2./3. frozen base + LoRA adapters
    model = _add_lora(_load_base(cfg.family, base, device, cfg.load_in_4bit), cfg)
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    generator = _Generator(model, prompter, max_new_tokens, cfg.predict_batch_size, device,
                           _parse_presets(presets))

    # 4. AdamW, warm-up then constant, gradient clipping
    opt = torch.optim.AdamW(list(trainable.values()), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = math.ceil(len(examples) / cfg.batch_size)
    warmup = math.ceil(cfg.warmup_ratio * steps * cfg.epochs) if cfg.warmup_ratio > 0 else 0
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) if warmup else 1.0)

    def adapter_state() -> dict[str, torch.Tensor]:
        return {n: p.detach().to("cpu", copy=True) for n, p in trainable.items()}

    def norm(state: dict[str, torch.Tensor]) -> float:
        return math.sqrt(sum(float(t.double().pow(2).sum()) for t in state.values()))

    history: list[dict[str, Any]] = []
    best: tuple[float, int] | None = None
    best_state: dict[str, torch.Tensor] | None = None
    first_candidate = max(1, cfg.epochs - cfg.keep_best_of_last + 1)
    t0 = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        order = list(range(len(examples)))
        rng.shuffle(order)
        total = 0.0
        for step, s in enumerate(range(0, len(order), cfg.batch_size), 1):
            batch = _collate([examples[i] for i in order[s:s + cfg.batch_size]], tok.pad_token_id, device)
            loss = model(**batch).loss
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(trainable.values()), cfg.max_grad_norm)
            opt.step()
            sched.step()
            value = float(loss.detach())
            total += value
            if progress:
                progress({"epoch": epoch, "epochs": cfg.epochs, "step": step, "steps": steps, "loss": value})

        # 5. score the dev slice; keep the best of the last epochs
        candidate = epoch >= first_candidate
        rec: dict[str, Any] = {"epoch": epoch, "train_loss": round(total / steps, 5), "dev_overall": None}
        if dev_rows and (candidate or cfg.dev_every_epoch):
            preds = [c for c, _ in generator.predict_with_flags([r.intent for r in dev_rows])]
            rec["dev_overall"] = float(evaluate_chains(preds, [r.chain for r in dev_rows])["overall"])
        state = adapter_state()
        rec["adapter_norm"] = round(norm(state), 6)
        history.append(rec)
        if progress:
            event = {"epoch": epoch, "epochs": cfg.epochs, "train_loss": rec["train_loss"]}
            progress(event if rec["dev_overall"] is None else {**event, "dev_overall": rec["dev_overall"]})
        if candidate:
            score = rec["dev_overall"] if dev_rows else -rec["train_loss"]
            if best is None or score >= best[0]:  # ties: the later (longer trained) epoch
                best, best_state = (score, epoch), state

    assert best is not None and best_state is not None
    with torch.no_grad():
        for n, p in trainable.items():
            p.copy_(best_state[n].to(p.device))
    summary = {
        "epochs": history,
        "best_epoch": best[1],
        "selected_by": "dev_overall" if dev_rows else "train_loss",
        "candidate_epochs": list(range(first_candidate, cfg.epochs + 1)),
        "train_rows": len(train_rows),
        "dev_rows": len(dev_rows),
        "train_examples": len(examples),
        "longest_target_tokens": longest_target,
        "device": str(device),
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    _save(model, cfg, out, presets, char_map, max_new_tokens, summary)
    return summary


def _save(model: Any, cfg: GenerativeTrainConfig, out: Path, presets: Sequence[str], char_map: dict[str, str],
          max_new_tokens: int, summary: dict[str, Any]) -> None:
    """Adapter via peft's ``save_pretrained`` (weights only) + ``config.json``; no copy of the base model."""
    out.mkdir(parents=True, exist_ok=True)
    had_readme = (out / "README.md").exists()
    model.save_pretrained(str(out))
    if not had_readme and (out / "README.md").exists():
        (out / "README.md").unlink()  # peft's generic model card
    lora = model.peft_config["default"]
    targets = lora.target_modules
    config = {
        "kind": cfg.family,
        "name": out.name,
        "base_model": cfg.base_model,
        "presets": list(presets),
        "char_map": char_map,
        "max_new_tokens": max_new_tokens,
        "lora": {"r": lora.r, "alpha": lora.lora_alpha, "dropout": lora.lora_dropout,
                 "target_modules": sorted(targets) if isinstance(targets, (set, list, tuple)) else targets},
        "train_config": asdict(cfg),
        "training": summary,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
