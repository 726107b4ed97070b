"""Automatic image judge: which of two students' looks better matches the request?

For each request both students' tool chains are rendered on the same photos; an OpenAI-compatible
vision model sees the original and the two results (in random order, to cancel position bias), first
describes what each transformation did, then names the one that better matches the request. Wins are
counted per model.
"""

from __future__ import annotations

import asyncio
import base64
import io
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.llm.client import TeacherClient
from vibegrade.media.bitdepth import to_8bit
from vibegrade.media.image import is_image_path, read_image
from vibegrade.schema import ToolChain
from vibegrade.tools.chain import render

__all__ = ["JUDGE_SYSTEM", "judge_messages", "parse_verdict", "JudgeResult", "run_judge", "load_images"]

JUDGE_SYSTEM = (
    "You are a senior colourist judging two automatic colour grades of the same photo. You see the original "
    "photo, then result FIRST and result SECOND. First describe briefly, for each result, how it changed the "
    "original (brightness, contrast, colour cast, saturation, mood). Then decide which result better matches "
    "the look the user asked for. Judge only how well the look matches the request, not which photo you "
    "prefer in general. End with exactly one line: 'WINNER: FIRST', 'WINNER: SECOND' or 'WINNER: TIE'."
)
_VERDICT = re.compile(r"WINNER\s*[:\-]\s*\**\s*(FIRST|SECOND|TIE)\b", re.IGNORECASE)


def _data_url(rgb: np.ndarray, max_side: int = 512, quality: int = 85) -> str:
    from PIL import Image

    im = Image.fromarray(rgb)
    im.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def judge_messages(intent: str, original: np.ndarray, first: np.ndarray, second: np.ndarray,
                   max_side: int = 512) -> list[dict[str, Any]]:
    """The chat messages for one comparison (images as base64 JPEG data URLs)."""
    return [
        {"role": "system", "content": JUDGE_SYSTEM},
        {"role": "user", "content": [
            {"type": "text", "text": f"The user asked for this look: {intent!r}.\nOriginal photo:"},
            {"type": "image_url", "image_url": {"url": _data_url(original, max_side)}},
            {"type": "text", "text": "Result FIRST:"},
            {"type": "image_url", "image_url": {"url": _data_url(first, max_side)}},
            {"type": "text", "text": "Result SECOND:"},
            {"type": "image_url", "image_url": {"url": _data_url(second, max_side)}},
            {"type": "text", "text": "Describe each transformation, then give your verdict."},
        ]},
    ]


def parse_verdict(text: str) -> str | None:
    """``"FIRST"``, ``"SECOND"``, ``"TIE"`` or ``None`` when the answer names no verdict (last one wins)."""
    found = _VERDICT.findall(text or "")
    return found[-1].upper() if found else None


@dataclass
class JudgeResult:
    a: str
    b: str
    wins: dict[str, int] = field(default_factory=lambda: {"a": 0, "b": 0, "tie": 0, "invalid": 0})
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        decided = self.wins["a"] + self.wins["b"]
        return {"a": self.a, "b": self.b, "wins": self.wins, "comparisons": len(self.decisions),
                "a_win_rate": round(self.wins["a"] / decided, 4) if decided else None,
                "decisions": self.decisions}


def load_images(folder: str | Path, max_images: int = 4, max_side: int = 512) -> list[tuple[str, np.ndarray]]:
    """Up to ``max_images`` images from a folder (sorted by name), as 8-bit RGB, downscaled."""
    from PIL import Image

    p = Path(folder)
    if not p.is_dir():
        raise ValueError(f"{p}: not a folder of images")
    out = []
    for f in sorted(x for x in p.iterdir() if x.is_file() and is_image_path(x))[:max_images]:
        img = to_8bit(read_image(f).rgb)
        im = Image.fromarray(img)
        im.thumbnail((max_side, max_side))
        out.append((f.name, np.asarray(im)))
    if not out:
        raise ValueError(f"{p}: no readable images (.jpg, .png, .webp, .tif)")
    return out


def run_judge(client_config, student_a, student_b, intents: Sequence[str],
              images: Sequence[tuple[str, np.ndarray]],
              *, names: tuple[str, str] = ("a", "b"), seed: int = 0,
              skip_identical: bool = True) -> JudgeResult:
    """Compare two students on every (request, image) pair with a vision model."""
    rng = random.Random(seed)
    chains_a: list[ToolChain] = student_a.predict(list(intents))
    chains_b: list[ToolChain] = student_b.predict(list(intents))
    result = JudgeResult(*names)
    jobs = []
    for intent, ca, cb in zip(intents, chains_a, chains_b):
        for img_name, img in images:
            if skip_identical and ca == cb:
                result.wins["tie"] += 1
                result.decisions.append({"intent": intent, "image": img_name, "winner": "tie",
                                         "reason": "identical"})
                continue
            swap = rng.random() < 0.5
            ra, rb = render(img, ca), render(img, cb)
            first, second = (rb, ra) if swap else (ra, rb)
            jobs.append((intent, img_name, swap, judge_messages(intent, img, first, second)))

    async def go() -> list[str | None]:
        async with TeacherClient(client_config) as client:
            async def one(msgs):
                comp = await client.complete(msgs)
                return comp.content
            return await asyncio.gather(*(one(j[3]) for j in jobs))

    answers = asyncio.run(go()) if jobs else []
    for (intent, img_name, swap, _), text in zip(jobs, answers):
        v = parse_verdict(text or "")
        if v is None:
            winner = "invalid"
        elif v == "TIE":
            winner = "tie"
        else:
            winner = ("b" if v == "FIRST" else "a") if swap else ("a" if v == "FIRST" else "b")
        result.wins[winner] += 1
        result.decisions.append({"intent": intent, "image": img_name, "winner": winner,
                                 "shown_first": "b" if swap else "a",
                                 "answer": (text or "")[:2000]})
    return result
