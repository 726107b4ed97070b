"""Scoring masks against hand-drawn references: rasterised polygons with holes, IoU, false-positive
share where a region is absent, clear errors on malformed files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vibegrade.evaluation.region_iou import load_reference, score_photo, score_region


def _write(tmp_path, **over):
    data = {"photo": "x.jpg", "width": 40, "height": 20, "author": "t",
            "regions": {"sky": [[[0, 0], [39, 0], [39, 9], [0, 9]]],
                        "subject": [[[10, 12], [20, 12], [20, 18], [10, 18]]]},
            "holes": {"sky": [[[0, 0], [9, 0], [9, 9], [0, 9]]]},
            "absent": ["people", "faces"], "notes": ""}
    data.update(over)
    p = tmp_path / "x.json"
    p.write_text(json.dumps(data))
    return p


def test_reference_rasterised_with_holes(tmp_path):
    ref = load_reference(_write(tmp_path))
    sky = ref.masks["sky"]
    assert sky.shape == (20, 40)
    assert sky[5, 20] and not sky[5, 5] and not sky[15, 20]  # hole cut out, lower half empty
    assert ref.absent == {"people", "faces"}


def test_scores_iou_where_drawn_and_false_positive_share_where_absent(tmp_path):
    ref = load_reference(_write(tmp_path))
    masks = {"sky": ref.masks["sky"].astype(np.float32), "subject": np.zeros((20, 40), np.float32),
             "people": np.zeros((20, 40), np.float32), "faces": np.zeros((20, 40), np.float32)}
    masks["faces"][:10, :10] = 0.9  # claims an eighth of the frame
    s = score_photo(masks, ref)
    assert s["sky"].kind == "iou" and s["sky"].value == pytest.approx(1.0)
    assert s["subject"].value == 0.0
    assert s["faces"].kind == "fp_share" and s["faces"].value == pytest.approx(0.125)
    assert s["people"].value == 0.0
    half = ref.masks["sky"].astype(np.float32)
    half[:, 25:] = 0.4  # below the 0.5 threshold
    assert score_region("sky", half, ref.masks["sky"]).value == pytest.approx(15 / 30, abs=0.02)


@pytest.mark.parametrize("over, match", [
    ({"regions": {"sky": [[[0, 0], [1, 1]]]}}, "at least 3"),
    ({"absent": []}, "neither drawn nor absent"),
    ({"width": "wide"}, "not a reference mask file"),
])
def test_malformed_references_name_the_file(tmp_path, over, match):
    with pytest.raises(ValueError, match=match):
        load_reference(_write(tmp_path, **over))
