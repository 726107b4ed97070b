"""Students: small models distilled from the teacher that turn a request into a tool chain.

Every student has ``kind`` and ``predict(intents) -> list[ToolChain]`` (same order, always valid
chains). Families:

* ``encoder`` (default, :mod:`.encoder_student` to serve, :mod:`.encoder_training` to train): sentence
  encoder, answers retrieved from the taught requests (or heads), NumPy at inference.
* ``seq2seq`` / ``causal`` (:mod:`.generative`): LoRA-tuned generative models prompted per tool,
  outputs parsed by the teacher parser.
* baselines (:mod:`.baselines`): nearest-neighbour retrieval and the majority answer.

A saved model is a folder with ``config.json`` whose ``kind`` says which class loads it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from vibegrade.schema import ToolChain

__all__ = ["Student", "DEFAULT_MODEL_DIR", "load_student", "StudentLoadError"]

#: The shipped default model (encoder student trained on the vibes train split).
DEFAULT_MODEL_DIR = Path(__file__).with_name("default_model")


class StudentLoadError(ValueError):
    """A model folder is missing, incomplete or of an unknown kind."""


@runtime_checkable
class Student(Protocol):
    kind: str

    def predict(self, intents: Sequence[str]) -> list[ToolChain]: ...


def load_student(path: str | os.PathLike[str] | None = None) -> Student:
    """Load a student from a model folder (default: the shipped model)."""
    p = Path(path) if path is not None else DEFAULT_MODEL_DIR
    cfg_path = p / "config.json"
    if not cfg_path.is_file():
        raise StudentLoadError(f"{p}: not a vibegrade model folder (no config.json)")
    try:
        kind = json.loads(cfg_path.read_text()).get("kind")
    except json.JSONDecodeError as e:
        raise StudentLoadError(f"{cfg_path}: invalid JSON ({e.msg})") from None
    if kind == "encoder":
        from vibegrade.students.encoder_student import EncoderStudent

        return EncoderStudent(p)
    if kind in ("seq2seq", "causal"):
        from vibegrade.students.generative import GenerativeStudent

        return GenerativeStudent(p)
    if kind in ("nearest_neighbour", "majority"):
        from vibegrade.students.baselines import load_baseline

        return load_baseline(p)
    raise StudentLoadError(f"{p}: unknown model kind {kind!r}")
