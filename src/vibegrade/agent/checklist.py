"""The planner's output: a checklist of concrete, checkable requirements for one request.

A *checklist* turns an open-ended request ("make it feel like a cold winter morning but keep the faces
warm") into items the judge can measure on the image::

    {"items": [
      {"id": "cool_overall", "text": "cooler, bluer light overall", "region": "global",
       "property": "warmth", "direction": "decrease", "size": "moderate", "weight": 1.0},
      {"id": "faces_warm", "text": "faces stay warm", "region": "faces",
       "property": "color", "direction": "keep", "size": "moderate", "weight": 1.0},
      {"id": "snow", "text": "add falling snow", "region": "global", "property": "content",
       "direction": "increase", "feasible": false, "reason": "colour tools cannot add objects"}]}

* ``region``: ``global`` or one of the regional tool's regions (:data:`vibegrade.schema.REGION_NAMES`).
* ``property``: what is measured in the region (:data:`PROPERTIES`): ``luminance`` (mean CIE L*),
  ``contrast`` (spread of L*), ``warmth`` (mean b*, yellow +), ``tint`` (mean a*, magenta +),
  ``saturation`` (mean chroma C*ab), ``clipping`` (share of clipped pixels), ``color`` (only with
  ``keep``: the region's colours stay as they are, by CIEDE2000), ``content`` (only with
  ``feasible: false``: objects, text, shapes, anything a colour tool cannot make).
* ``direction``: ``increase``, ``decrease`` or ``keep``; ``size``: ``slight`` < ``moderate`` < ``strong``
  (the judge's targets per property and size are in :data:`TARGETS`).
* ``feasible: false`` with a ``reason`` reports what colour tools cannot do; such items are never acted
  on or faked, only reported.

This module only defines and validates; it imports nothing from vibegrade above the schema.
"""

from __future__ import annotations

import builtins
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from vibegrade.schema import REGION_NAMES, format_validation_error, loads_untrusted_json

__all__ = ["PROPERTIES", "DIRECTIONS", "SIZES", "PLAN_REGIONS", "TARGETS", "ChecklistItem", "Checklist",
           "parse_checklist"]

#: Measurable properties of a region (see the module docstring).
PROPERTIES: tuple[str, ...] = ("luminance", "contrast", "warmth", "tint", "saturation", "clipping", "color",
                               "content")
DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "keep")
SIZES: tuple[str, ...] = ("slight", "moderate", "strong")
#: Where an item applies: the whole picture or one of the regional tool's regions.
PLAN_REGIONS: tuple[str, ...] = ("global", *REGION_NAMES)

#: The change the judge asks of an ``increase``/``decrease`` item, per property and size, in the
#: property's unit (L*, its standard deviation, b*, a*, C*ab, percentage points of clipped pixels); for
#: ``keep`` items it is the largest mean CIEDE2000 (``color``) or change of the property that still counts
#: as kept. Warmth and tint ask a little less than a colour difference of the same size would suggest:
#: the white-balance sliders move b* by about 0.076 and a* by about 0.089 per unit on the shared photos
#: (``scripts/agent/calibrate_amounts.py``), so a ``strong`` ask stays within their range.
TARGETS: dict[str, dict[str, float]] = {
    "luminance": {"slight": 3.0, "moderate": 6.0, "strong": 12.0},
    "contrast": {"slight": 1.5, "moderate": 3.0, "strong": 6.0},
    "warmth": {"slight": 1.5, "moderate": 4.0, "strong": 8.0},
    "tint": {"slight": 1.2, "moderate": 2.5, "strong": 5.0},
    "saturation": {"slight": 2.5, "moderate": 5.0, "strong": 10.0},
    "clipping": {"slight": 0.5, "moderate": 1.0, "strong": 3.0},
    "color": {"slight": 2.0, "moderate": 3.0, "strong": 5.0},
    "content": {"slight": 0.0, "moderate": 0.0, "strong": 0.0},
}

Property = Literal["luminance", "contrast", "warmth", "tint", "saturation", "clipping", "color", "content"]
Direction = Literal["increase", "decrease", "keep"]
Size = Literal["slight", "moderate", "strong"]


class ChecklistItem(BaseModel):
    """One requirement. See the module docstring for the fields' meaning."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$", description="short snake_case id, unique in the checklist")
    text: str = Field(min_length=1, max_length=200, description="the requirement in plain words")
    region: str = Field(description="'global' or a region name")
    property: Property
    direction: Direction
    size: Size = "moderate"
    weight: float = Field(default=1.0, gt=0.0, le=3.0, description="importance, 1 = normal")
    feasible: bool = True
    reason: str | None = Field(default=None, max_length=300,
                               description="why a colour tool cannot do it (feasible=false only)")

    @model_validator(mode="after")
    def _consistent(self) -> ChecklistItem:
        if self.region not in PLAN_REGIONS:
            raise ValueError(f"unknown region {self.region!r} (one of: {', '.join(PLAN_REGIONS)})")
        if self.feasible and self.property == "content":
            raise ValueError("a 'content' item (objects, text, shapes) is never feasible for colour tools")
        if not self.feasible and not (self.reason and self.reason.strip()):
            raise ValueError("an infeasible item needs a reason")
        if self.feasible and self.reason:
            raise ValueError("only an infeasible item carries a reason")
        if self.property == "color" and self.direction != "keep":
            raise ValueError("'color' is only checked as kept (direction 'keep'); name the property that "
                             "should change instead")
        return self

    @builtins.property  # the field named ``property`` shadows the builtin in this class body
    def target(self) -> float:
        """The judge's target for this item (see :data:`TARGETS`)."""
        return TARGETS[self.property][self.size]


class Checklist(BaseModel):
    """The requirements of one request, in the order they should be worked on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    items: tuple[ChecklistItem, ...] = Field(min_length=1, max_length=12)

    @model_validator(mode="after")
    def _unique_ids(self) -> Checklist:
        ids = [i.id for i in self.items]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"item ids must be unique, repeated: {', '.join(dup)}")
        return self

    @property
    def feasible(self) -> tuple[ChecklistItem, ...]:
        return tuple(i for i in self.items if i.feasible)

    @property
    def infeasible(self) -> tuple[ChecklistItem, ...]:
        return tuple(i for i in self.items if not i.feasible)

    def to_wire(self) -> dict[str, Any]:
        return {"items": [i.model_dump(exclude_none=True) for i in self.items]}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_wire(), **kwargs)


def parse_checklist(text_or_obj: str | dict[str, Any]) -> Checklist:
    """Strictly parse a checklist from JSON text or a dict; ``ValueError`` with one line per problem."""
    obj = loads_untrusted_json(text_or_obj, "checklist") if isinstance(text_or_obj, str) else text_or_obj
    if not isinstance(obj, dict):
        raise ValueError(f"checklist must be a JSON object, got {type(obj).__name__}")
    try:
        return Checklist.model_validate(obj)
    except ValidationError as e:
        raise ValueError(format_validation_error(e)) from None
