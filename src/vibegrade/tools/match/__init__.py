"""Reference looks: fit a tool chain so that an image takes on the colour and tone of a reference image.

:mod:`.stats` measures colour statistics (CIELAB tone percentiles, colour per lightness band and per hue
range) and the distance between two images' statistics; :mod:`.fit` optimises the chain's sliders (and
optionally picks a filter preset) against them. See ``docs/match.md``.
"""

from vibegrade.tools.match.fit import MatchResult, match_look
from vibegrade.tools.match.stats import Distance, compare

__all__ = ["MatchResult", "match_look", "Distance", "compare"]
