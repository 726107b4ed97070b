"""VisionJudge against a scripted local OpenAI-compatible server, and the strict parser of its answers."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from tests.fakes.replay import ReplayServer
from vibegrade.agent.checklist import parse_checklist
from vibegrade.agent.judge import VisionJudge
from vibegrade.llm.client import ClientConfig, FatalError, TeacherError
from vibegrade.llm.judge_prompt import JudgeAnswerError, image_data_url, judge_messages, parse_judge_answer

pytest.importorskip("openai")

CHECKLIST = parse_checklist({"items": [
    {"id": "warm_sky", "text": "a warmer sky", "region": "sky", "property": "warmth", "direction": "increase",
     "weight": 2.0},
    {"id": "faces_keep", "text": "faces stay as they are", "region": "faces", "property": "color",
     "direction": "keep"},
    {"id": "snow", "text": "add falling snow", "region": "global", "property": "content",
     "direction": "increase", "feasible": False, "reason": "colour tools cannot add objects"}]})
GOOD = ('Rationale: The sky is warmer; the faces look the same.\n'
        'JSON: {"items": {"warm_sky": 0.8, "faces_keep": 1.0}, "preservation": 0.9, "quality": 0.95}')


def _config(url: str, **kw: Any) -> ClientConfig:
    return ClientConfig(model="vision", base_url=url, api_key="sk", timeout=2.0, max_retries=1,
                        backoff_base=0.01, backoff_max=0.05, cache_dir=None, **kw)


@pytest.fixture(scope="module")
def pictures() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    before = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    after = np.clip(before.astype(np.int16) + [12, 4, -10], 0, 255).astype(np.uint8)
    return before, after


def test_vision_judge_sends_both_pictures_and_the_feasible_items(pictures) -> None:
    seen: list[list[dict[str, Any]]] = []

    def respond(messages: list[dict[str, Any]]) -> str:
        seen.append(messages)
        return GOOD

    with ReplayServer(fallback=None, responder=respond) as srv:
        v = VisionJudge(_config(srv.base_url)).judge(*pictures, CHECKLIST)
    assert v.items == {"warm_sky": 0.8, "faces_keep": 1.0}
    assert v.adherence == pytest.approx((2 * 0.8 + 1.0) / 3)
    assert (v.preservation, v.quality) == (0.9, 0.95) and v.flags == ()
    assert v.rationale.startswith("The sky is warmer")
    assert json.loads(json.dumps(v.to_dict()))["items"]["warm_sky"] == 0.8
    (msgs,) = seen
    assert msgs[0]["role"] == "system" and "ORIGINAL" in msgs[0]["content"]
    parts = msgs[1]["content"]
    urls = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
    assert len(urls) == 2 and urls[0] != urls[1]
    assert all(u.startswith("data:image/jpeg;base64,") for u in urls)
    text = " ".join(p["text"] for p in parts if p["type"] == "text")
    assert "warm_sky" in text and "faces_keep" in text and "snow" not in text  # infeasible: not asked


def test_out_of_range_scores_are_clamped_and_list_form_accepted(pictures) -> None:
    answer = ('```json\n{"items": [{"id": "warm_sky", "score": 1.3}, {"id": "faces_keep", "score": -0.2}], '
              '"preservation": 0.5, "quality": 2}\n```')
    with ReplayServer(fallback=None, responder=lambda m: answer) as srv:
        v = VisionJudge(_config(srv.base_url)).judge(*pictures, CHECKLIST)
    assert v.items == {"warm_sky": 1.0, "faces_keep": 0.0} and v.quality == 1.0
    assert set(v.flags) == {"clamped:items.warm_sky", "clamped:items.faces_keep", "clamped:quality"}


@pytest.mark.parametrize("answer, message", [
    ("I cannot judge pictures.", "no JSON object"),
    ('JSON: {"items": {"warm_sky": 0.8}, "preservation": 1, "quality": 1}', "no score for: faces_keep"),
    ('JSON: {"items": {"warm_sky": 0.8, "faces_keep": 1, "sun": 1}, "preservation": 1, "quality": 1}',
     "unknown items: sun"),
    ('JSON: {"items": {"warm_sky": "high", "faces_keep": 1}, "preservation": 1, "quality": 1}',
     "must be a number"),
    ('JSON: {"items": {"warm_sky": true, "faces_keep": 1}, "preservation": 1, "quality": 1}',
     "must be a number"),
    ('JSON: {"items": {"warm_sky": 0.5, "faces_keep": 1}, "quality": 1}', 'no "preservation"'),
    ('JSON: {"items": {"warm_sky": 0.5, "faces_keep": 1}, "preservation": 1, "qual', "cut off"),
    ("", "empty"),
])
def test_unusable_answers_raise_a_clear_error(pictures, answer: str, message: str) -> None:
    with ReplayServer(fallback=None, responder=lambda m: answer) as srv:
        with pytest.raises(JudgeAnswerError, match=message) as e:
            VisionJudge(_config(srv.base_url)).judge(*pictures, CHECKLIST)
    assert "\n" not in str(e.value) and isinstance(e.value, TeacherError)


def test_endpoint_errors_surface_as_teacher_errors(pictures) -> None:
    with ReplayServer(fallback=None, responder=lambda m: GOOD, api_key="right") as srv:
        with pytest.raises(FatalError, match="authentication failed"):
            VisionJudge(_config(srv.base_url)).judge(*pictures, CHECKLIST)
    only_infeasible = parse_checklist({"items": [CHECKLIST.items[2].model_dump()]})
    with pytest.raises(JudgeAnswerError, match="no feasible item"):
        VisionJudge(_config("http://127.0.0.1:9/v1")).judge(*pictures, only_infeasible)


def test_prompt_helpers() -> None:
    img = np.zeros((600, 900, 3), np.float32)
    img[..., 0] = 1.0
    url = image_data_url(img, max_side=300)
    import base64
    import io

    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as im:
        assert im.size == (300, 200) and im.format == "JPEG"
    with pytest.raises(ValueError, match="RGB"):
        image_data_url(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="no checklist item"):
        judge_messages([], url, url)
    msgs = judge_messages([{"id": "a", "text": "brighter sky", "region": "sky", "property": "luminance",
                            "direction": "increase", "size": "slight"}], url, url)
    assert "- a: brighter sky (increase luminance in the sky, slight)" in msgs[1]["content"][0]["text"]
    ok = parse_judge_answer(GOOD, ["warm_sky", "faces_keep"])
    assert ok.scores == {"warm_sky": 0.8, "faces_keep": 1.0} and ok.flags == []
    with pytest.raises(JudgeAnswerError, match="NaN|finite"):
        parse_judge_answer('{"items": {"a": NaN}, "preservation": 1, "quality": 1}', ["a"])
