import ast
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from vibegrade.schema import (
    ADJUST_KEYS,
    SELECTIVE_KEYS,
    ToolChain,
    chain_json_schema,
    clamp_chain,
    parse_chain,
    preset_context,
)
from vibegrade.tools.filters import preset_names


def test_empty_chain_is_identity_and_wire_format():
    c = parse_chain("{}")
    assert c.is_identity
    assert c.to_wire() == {"adjust": {}, "selective_adjust": {}, "filter": {"name": "none", "intensity": 0}}


def test_used_tools_write_all_keys():
    c = parse_chain({"adjust": {"exposure": 10}, "selective_adjust": {"blue": {"saturation": -20}}})
    w = c.to_wire()
    assert list(w["adjust"]) == list(ADJUST_KEYS) and w["adjust"]["exposure"] == 10
    assert set(w["selective_adjust"]) == {"red", "orange", "yellow", "green", "cyan", "blue"}
    assert w["selective_adjust"]["blue"] == {"saturation": -20, "luminance": 0}
    assert c.used() == {"adjust": True, "selective_adjust": True, "filter": False}
    assert len(c.adjust.vector()) == 14 and len(c.selective_adjust.vector()) == 12 == len(SELECTIVE_KEYS)


def test_all_zero_means_unused():
    c = parse_chain({"adjust": {k: 0 for k in ADJUST_KEYS}, "selective_adjust": {"red": {"saturation": 0}}})
    assert not c.adjust.used and not c.selective_adjust.used and c.to_wire()["adjust"] == {}


@pytest.mark.parametrize("bad, field", [
    ({"adjust": {"exposure": 101}}, "adjust.exposure"),
    ({"adjust": {"hue": 361}}, "adjust.hue"),
    ({"adjust": {"bloom": -1}}, "adjust.bloom"),
    ({"selective_adjust": {"green": {"luminance": -150}}}, "selective_adjust.green.luminance"),
    ({"filter": {"name": "winter", "intensity": 120}}, "filter.intensity"),
    ({"adjust": {"exposur": 10}}, "adjust.exposur"),
    ({"selective_adjust": {"purple": {"saturation": 10}}}, "selective_adjust.purple"),
])
def test_out_of_range_and_unknown_fields_name_the_field(bad, field):
    with pytest.raises(ValueError) as e:
        parse_chain(bad)
    assert field in str(e.value)


def test_unknown_preset_is_rejected_with_suggestion():
    with pytest.raises(ValueError, match="unknown filter preset 'wintr'.*'winter'"):
        parse_chain({"filter": {"name": "wintr", "intensity": 50}}, presets=preset_names())


def test_preset_names_come_from_the_caller():
    """The schema reads no preset folder: the names to check against are passed in (the edges pass the
    installed ones); without them only the name's form is checked."""
    bad = {"filter": {"name": "wintr", "intensity": 50}}
    assert parse_chain(bad).filter.name == "wintr"
    with pytest.raises(ValueError, match="unknown filter preset 'wintr'; did you mean 'winter'"):
        parse_chain(bad, presets=["winter", "north"])
    assert parse_chain({"filter": {"name": "my_look", "intensity": 5}},
                       presets=["my_look"]).filter.name == "my_look"
    with pytest.raises(ValidationError, match="unknown filter preset 'wintr'"):
        ToolChain.model_validate(bad, context=preset_context(["winter"]))
    assert ToolChain.model_validate({"filter": {"name": "none"}},
                                    context=preset_context([])).filter.name == "none"
    with pytest.raises(ValueError, match="filter.name"):
        parse_chain({"filter": {"name": "", "intensity": 5}})


def test_schema_imports_nothing_from_vibegrade():
    """Also an import contract (.importlinter); this checks function-level imports too."""
    import vibegrade.schema as schema

    tree = ast.parse(Path(schema.__file__).read_text(encoding="utf-8"))
    imported = [n.module or "." for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert imported and not [m for m in imported if m.startswith(("vibegrade", "."))]


def test_malformed_json_message():
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_chain('{"adjust": {"exposure": 10,}')
    with pytest.raises(ValueError, match="must be a JSON object"):
        parse_chain("[1, 2]")


def test_clamp_helper_flags_every_change():
    rep = clamp_chain({"adjust": {"exposure": "250", "contrast": 12.6, "Hue": 400, "wobble": 3},
                       "selective_adjust": {"red": {"saturation": -300}, "magenta": {}},
                       "filter": {"name": "Winter", "intensity": "80"}}, presets=preset_names())
    c = rep.chain
    assert c.adjust.exposure == 100 and c.adjust.contrast == 13 and c.adjust.hue == 40
    assert c.selective_adjust.red.saturation == -100
    assert c.filter.name == "winter" and c.filter.intensity == 80
    for flag in ("clamped:adjust.exposure", "wrapped:adjust.hue", "unknown_key:adjust.wobble",
                 "clamped:selective_adjust.red.saturation", "unknown_key:selective_adjust.magenta"):
        assert flag in rep.flags, rep.flags
    ToolChain.model_validate(c.to_wire(), context=preset_context(preset_names()))  # result is strictly valid


def test_clamp_unknown_preset_becomes_none():
    rep = clamp_chain({"filter": {"name": "sepia_dream", "intensity": 50}}, presets=preset_names())
    assert rep.chain.filter.name == "none" and "unknown_preset:filter.name" in rep.flags


def test_json_schema_derives_from_models():
    s = chain_json_schema(preset_names())
    adj = s["$defs"]["Adjust"]["properties"]
    assert list(adj) == list(ADJUST_KEYS)
    assert adj["exposure"]["minimum"] == -100 and adj["hue"]["maximum"] == 360
    assert adj["bloom"]["minimum"] == 0
    assert s["$defs"]["Filter"]["properties"]["name"]["enum"][0] == "none"
    assert "winter" in s["$defs"]["Filter"]["properties"]["name"]["enum"]
    json.dumps(s)
