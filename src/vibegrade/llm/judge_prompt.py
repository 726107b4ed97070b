"""The vision judge's prompt for the agent (``vibegrade.agent.judge.VisionJudge``) and the strict parser of
its answer.

The model sees the original picture, the edited one (both as base64 JPEG data URLs) and the checklist's
feasible items; it answers with a short rationale and one JSON object::

    Rationale: The sky is clearly warmer; the faces kept their colour; no artefacts.
    JSON: {"items": {"warm_sky": 0.9, "faces_keep": 1.0}, "preservation": 0.95, "quality": 0.9}

(``items`` may also be a list of ``{"id": ..., "score": ...}``.) :func:`parse_judge_answer` accepts the
JSON wherever the answer puts it (after ``JSON:``, in a code fence, lenient quoting) but then validates
strictly: a score for every item asked and none for others, numbers only (no strings, no booleans, no NaN),
``preservation`` and ``quality`` present. Numbers outside [0, 1] are clamped (and flagged). Anything else
raises :class:`JudgeAnswerError` with one line saying what is wrong. This module knows nothing of the agent:
items come in as plain dicts.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vibegrade.llm.client import TeacherError
from vibegrade.llm.parse import find_json

__all__ = ["JudgeAnswerError", "JudgeAnswer", "judge_system_prompt", "judge_messages", "image_data_url",
           "parse_judge_answer"]



class JudgeAnswerError(TeacherError):
    """The vision judge's answer cannot be used (``str(e)`` is one line)."""


def judge_system_prompt() -> str:
    """The system message of the vision judge."""
    return (
        "You are a senior colourist checking an automatic colour grade against a list of requirements. "
        "You see the ORIGINAL photo and the EDITED photo. Only colour and tone were changed (brightness, "
        "contrast, white balance, saturation, possibly inside regions such as the sky or the faces); nothing "
        "was added or removed.\n\n"
        "For each requirement, score in [0, 1] how well the EDITED photo meets it compared with the "
        "ORIGINAL: 1 = clearly met at about the asked size, 0.5 = partly met or overdone, 0 = not met or "
        "moved the wrong way. A requirement 'keep' is met when that part looks the same as in the original. "
        "Sizes: slight = just visible, moderate = clearly visible, strong = a bold change.\n"
        "Then score preservation in [0, 1] (1 = everything the requirements do not mention looks as in the "
        "original) and quality in [0, 1] (1 = no artefacts: no blown highlights or crushed shadows that the "
        "original lacked, no banding in smooth gradients, no halos or hard seams along region edges, natural "
        "skin).\n\n"
        "## Answer format\n"
        "Rationale: one or two sentences on what changed.\n"
        'JSON: one object on a single line: {"items": {"<id>": <score>, ...}, "preservation": <score>, '
        '"quality": <score>} with a score for every requirement id and nothing else.'
    )


def _item_line(item: Mapping[str, Any]) -> str:
    missing = [k for k in ("id", "text") if not str(item.get(k, "")).strip()]
    if missing:
        raise ValueError(f"a checklist item needs {' and '.join(missing)}")
    where = "the whole picture" if item.get("region", "global") == "global" else f"the {item['region']}"
    what = " ".join(str(item[k]) for k in ("direction", "property") if item.get(k))
    size = f", {item['size']}" if item.get("size") and item.get("direction") != "keep" else ""
    return f"- {item['id']}: {' '.join(str(item['text']).split())} ({what} in {where}{size})"


def judge_messages(items: Sequence[Mapping[str, Any]], before_url: str,
                   after_url: str) -> list[dict[str, Any]]:
    """Chat messages asking the vision judge about ``items`` (dicts with ``id``, ``text`` and optionally
    ``region``, ``property``, ``direction``, ``size``) on the two pictures (data URLs,
    :func:`image_data_url`)."""
    if not items:
        raise ValueError("no checklist item to judge")
    lines = "\n".join(_item_line(i) for i in items)
    return [
        {"role": "system", "content": judge_system_prompt()},
        {"role": "user", "content": [
            {"type": "text", "text": f"Requirements:\n{lines}\n\nORIGINAL photo:"},
            {"type": "image_url", "image_url": {"url": before_url}},
            {"type": "text", "text": "EDITED photo:"},
            {"type": "image_url", "image_url": {"url": after_url}},
            {"type": "text", "text": "Score every requirement, then preservation and quality."},
        ]},
    ]


def image_data_url(rgb: np.ndarray, max_side: int = 512, quality: int = 90) -> str:
    """An ``(H, W, 3)`` picture (uint8, uint16 or float in [0, 1]) as a ``data:image/jpeg;base64,...`` URL,
    long side at most ``max_side`` pixels."""
    from PIL import Image

    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {a.shape}")
    a = a[..., :3]
    if a.dtype == np.uint16:
        a = (a.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    elif a.dtype.kind == "f":
        a = (np.clip(np.nan_to_num(a.astype(np.float32)), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif a.dtype != np.uint8:
        raise ValueError(f"unsupported pixel type {a.dtype}")
    im = Image.fromarray(np.ascontiguousarray(a))
    im.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@dataclass
class JudgeAnswer:
    """A parsed answer: ``scores`` (item id -> [0, 1]), ``preservation``, ``quality``, the rationale and
    ``flags`` for every value clamped into [0, 1] (``clamped:<key>``)."""

    scores: dict[str, float]
    preservation: float
    quality: float
    rationale: str = ""
    flags: list[str] = field(default_factory=list)


def _number(v: Any, key: str, flags: list[str]) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise JudgeAnswerError(f"vision judge answer: {key} must be a number, got {json.dumps(v)[:40]}")
    x = float(v)
    if not math.isfinite(x):
        raise JudgeAnswerError(f"vision judge answer: {key} is not a finite number")
    if x < 0.0 or x > 1.0:
        flags.append(f"clamped:{key}")
        x = min(max(x, 0.0), 1.0)
    return x


def _item_scores(raw: Any) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return {str(k): v for k, v in raw.items()}
    if isinstance(raw, list):
        out: dict[str, Any] = {}
        for e in raw:
            if not isinstance(e, Mapping) or "id" not in e or "score" not in e:
                raise JudgeAnswerError('vision judge answer: "items" entries must be '
                                       '{"id": ..., "score": ...}')
            key = str(e["id"])
            if key in out:
                raise JudgeAnswerError(f"vision judge answer: item {key!r} is scored twice")
            out[key] = e["score"]
        return out
    raise JudgeAnswerError('vision judge answer: "items" must map item ids to scores')


def parse_judge_answer(text: object, item_ids: Sequence[str]) -> JudgeAnswer:
    """Parse and validate the vision judge's answer for the items ``item_ids``.

    Raises:
        JudgeAnswerError: no JSON object, a cut-off answer, items missing or unknown, a value that is not
            a finite number, ``preservation`` or ``quality`` missing.
    """
    if not isinstance(text, str) or not text.strip():
        raise JudgeAnswerError("vision judge answer is empty")
    found = find_json(text)
    if found is None or not isinstance(found.value, dict):
        raise JudgeAnswerError("vision judge answer has no JSON object")
    if found.truncated:
        raise JudgeAnswerError("vision judge answer was cut off before its JSON ended")
    obj = found.value
    rationale = " ".join(text[:found.start].split()).removeprefix("Rationale:").removesuffix("JSON:").strip()
    if "items" not in obj:
        raise JudgeAnswerError('vision judge answer has no "items"')
    raw = _item_scores(obj["items"])
    wanted = [str(i) for i in item_ids]
    missing = [i for i in wanted if i not in raw]
    unknown = sorted(set(raw) - set(wanted))
    if missing:
        raise JudgeAnswerError(f"vision judge answer has no score for: {', '.join(missing)}")
    if unknown:
        raise JudgeAnswerError(f"vision judge answer scores unknown items: {', '.join(unknown)}")
    flags: list[str] = []
    scores = {i: _number(raw[i], f"items.{i}", flags) for i in wanted}
    for key in ("preservation", "quality"):
        if key not in obj:
            raise JudgeAnswerError(f'vision judge answer has no "{key}"')
    return JudgeAnswer(scores=scores, preservation=_number(obj["preservation"], "preservation", flags),
                       quality=_number(obj["quality"], "quality", flags), rationale=rationale[:2000],
                       flags=flags)
