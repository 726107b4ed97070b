"""Which way a follow-up that scales the whole look goes, and the factor checked against it."""

import pytest

from vibegrade.students import refine_strength


@pytest.mark.parametrize("text, way", [
    ("take it further", 1),
    ("this is way too mild, i want loads more of it", 1),
    ("the effect is way too weak, i want loads more", 1),
    ("it's a little underdone", 1),
    ("it's only half as strong as i want", 1),          # said against what is wanted
    ("more", 1), ("moar pls 🔥", 1), ("120% pls", 1), ("whole look ↑↑", 1),
    ("the effect is twice as strong as it should be", -1),
    ("this grade is about double what i'd like", -1),
    ("pull the look back some", -1),
    ("can you make the whole effect less strong", -1),
    ("too strong, ease up", -1),
    ("less of the look pls", -1), ("80%?", -1), ("just a hint", -1), ("whole grade ↓ a LOT", -1),
    ("golden hour", None),                               # no word of strength
    ("more? no, less", None),                            # both ways: not read
])
def test_way(text: str, way: int | None) -> None:
    assert refine_strength.way(text) == way


def test_a_factor_the_words_agree_with_is_kept() -> None:
    assert refine_strength.checked_factor("way more", 1.9) == 1.9
    assert refine_strength.checked_factor("much less", 0.4) == 0.4
    assert refine_strength.checked_factor("golden hour", 0.7) == 0.7   # the words do not say


def test_a_factor_against_the_words_takes_the_taught_factor_at_their_size() -> None:
    assert refine_strength.checked_factor("take it further", 0.78) == 1.4
    assert refine_strength.checked_factor("a bit more", 0.9) == 1.2
    assert refine_strength.checked_factor("way more", 0.9) == 1.8
    assert refine_strength.checked_factor("the grade is too loud, dial it back", 1.1) == 0.6
    assert refine_strength.checked_factor("a tiny bit less", 1.02) == 0.8   # within the margin of 1


def test_the_refiner_scales_the_way_the_words_say() -> None:
    """Through the shipped refinement model: "take it further" makes every moved value larger, "pull the
    look back some" smaller (the factor head alone had both at × 0.78 and × 0.68)."""
    from vibegrade.schema import ToolChain
    from vibegrade.students.refine import load_refiner

    model = load_refiner(None)
    look = ToolChain.model_validate({"adjust": {"contrast": 20, "saturation": -30, "temperature": 15}})
    up = model.refine(look, "take it further").chain
    down = model.refine(look, "pull the look back some").chain
    assert up is not None and down is not None
    assert abs(up.adjust.contrast) > 20 and abs(up.adjust.saturation) > 30
    assert abs(down.adjust.contrast) < 20 and abs(down.adjust.saturation) < 30
