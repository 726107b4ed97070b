"""The planner's teacher prompt and the strict parser of its answer.

The prompt is derived from the checklist model (:mod:`vibegrade.agent.checklist`: regions, properties,
directions, sizes, the judge's targets), so it lives next to it rather than in :mod:`vibegrade.llm`, which
sits below the agent. The teacher answers a short rationale, then ``JSON:`` and the checklist object; the
image statistics (and the image itself when the model can see) are optional context.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from vibegrade.agent.checklist import (
    DIRECTIONS,
    PLAN_REGIONS,
    PROPERTIES,
    SIZES,
    TARGETS,
    Checklist,
    parse_checklist,
)

__all__ = ["plan_system_prompt", "plan_messages", "parse_plan_answer", "PlanAnswerError"]


class PlanAnswerError(ValueError):
    """The teacher's answer holds no valid checklist."""


def plan_system_prompt() -> str:
    targets = "; ".join(f"{p}: " + "/".join(f"{TARGETS[p][s]:g}" for s in SIZES)
                        for p in PROPERTIES if p not in ("color", "content"))
    return f"""You plan colour grades. A person describes a goal for their photo in their own words. \
Break it into a short checklist of concrete requirements that a judge can measure on the photo, for colour \
and tone tools only (exposure, contrast, white balance, saturation, per-colour and per-region tone and \
colour).

Each item has:
- id: snake_case, unique;
- text: the requirement in plain words (at most 12 words);
- region: one of {", ".join(PLAN_REGIONS)};
- property: one of {", ".join(PROPERTIES)} -- luminance = mean CIE L*, contrast = spread of L*, warmth = \
mean b* (yellow +, blue -), tint = mean a* (magenta +, green -), saturation = mean chroma, clipping = share \
of blown or crushed pixels, color = only with direction keep (the region must look as it does now), \
content = only for what colour tools cannot do;
- direction: one of {", ".join(DIRECTIONS)};
- size: one of {", ".join(SIZES)} (the judge asks for these changes, slight/moderate/strong: {targets});
- weight: 0.3 to 2.0 (1 = a core part of the goal);
- feasible: false with a short reason for anything colour tools cannot do (adding or removing objects, \
text, weather, sunsets, retouching); never fake it with colour.

Use global unless the goal concerns one part of the picture. At most 6 feasible items, most important \
first; no two items contradict.

Answer with one or two sentences of rationale, then a line starting with "JSON:" followed by \
{{"items": [...]}} on one line."""


def plan_messages(request: str, stats: Mapping[str, float] | None = None,
                  image_data_url: str | None = None) -> list[dict[str, Any]]:
    """Chat messages asking for the checklist of ``request``; ``stats`` (e.g. mean L*, clipped share) and
    an image as a data URL are added when given."""
    text = f"Goal: {request.strip()}"
    if stats:
        text += "\nPhoto statistics: " + ", ".join(f"{k} {v:.3g}" for k, v in stats.items())
    user: Any = text
    if image_data_url is not None:
        user = [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": image_data_url}}]
    return [{"role": "system", "content": plan_system_prompt()}, {"role": "user", "content": user}]


_JSON = re.compile(r"JSON:\s*(\{.*\})\s*$", re.S)


def parse_plan_answer(text: object) -> tuple[Checklist, str]:
    """``(checklist, rationale)`` from the teacher's answer; :class:`PlanAnswerError` when there is none."""
    if not isinstance(text, str) or not text.strip():
        raise PlanAnswerError("the answer is empty")
    m = _JSON.search(text)
    if m is None:
        start = text.find("{")
        if start < 0:
            raise PlanAnswerError("the answer holds no JSON checklist")
        body, rationale = text[start:], text[:start]
    else:
        body, rationale = m.group(1), text[:m.start()]
    try:
        obj = json.loads(body)
    except json.JSONDecodeError as e:
        raise PlanAnswerError(f"the checklist is not valid JSON ({e.msg})") from None
    try:
        return parse_checklist(obj), rationale.strip()
    except ValueError as e:
        raise PlanAnswerError(f"invalid checklist: {e}") from None
