import numpy as np
import pytest

from vibegrade.evaluation.metrics import cosine, evaluate_chains, harmonic_mean, tool_scores
from vibegrade.schema import parse_chain


def C(adjust=None, sel=None, filt=("none", 0)):
    return parse_chain({"adjust": adjust or {}, "selective_adjust": sel or {},
                        "filter": {"name": filt[0], "intensity": filt[1]}})


def test_hand_computed_example():
    truths = [C({"exposure": 10}, None, ("winter", 80)),
              C({"contrast": 20}, {"red": {"saturation": 10}}),
              C(None, None, ("darkness", 50)),
              C({"exposure": 10, "contrast": 10})]
    preds = [C({"exposure": 20}, None, ("winter", 40)),        # adjust cos 1, filter right
             C({"contrast": 20, "exposure": 20}, None),         # adjust cos 1/sqrt2, selective missed
             C({"exposure": 5}, None, ("cyberpunk", 50)),       # adjust false positive, filter wrong name
             # sel FP, filter FP
             C({"exposure": 10, "contrast": 10}, {"blue": {"luminance": 5}}, ("north", 30))]
    adj = tool_scores(preds, truths, "adjust")
    assert adj.precision == pytest.approx(3 / 4) and adj.recall == 1.0
    assert adj.quality == pytest.approx((1 + 1 / np.sqrt(2) + 1) / 3)
    assert adj.final == pytest.approx(harmonic_mean(harmonic_mean(0.75, 1.0), adj.quality))
    sel = tool_scores(preds, truths, "selective_adjust")
    assert sel.precision == 0 and sel.recall == 0 and sel.final == 0 and sel.both_used == 0
    flt = tool_scores(preds, truths, "filter")
    assert flt.precision == pytest.approx(2 / 3) and flt.recall == 1.0  # north is a false positive
    assert flt.quality == pytest.approx(1 / 2)  # winter right, darkness vs cyberpunk wrong
    rep = evaluate_chains(preds, truths, calls=[5, 3, None, 1])
    assert rep["overall"] == pytest.approx(np.mean([adj.final, sel.final, flt.final]), abs=1e-4)
    assert rep["subsets"]["calls>=3"]["n"] == 2 and rep["subsets"]["calls>=5"]["n"] == 1
    assert rep["subsets"]["calls>=5"]["tools"]["filter"]["quality"] == 1.0


def test_perfect_prediction_scores_one_and_no_subsets_without_calls():
    truths = [C({"exposure": 10}, {"red": {"saturation": 10}}, ("winter", 80)), C({"hue": 180})]
    rep = evaluate_chains(truths, truths)
    assert rep["overall"] == 1.0 and rep["subsets"] == {}


def test_normalized_quality_reduces_hue_dominance():
    t = [C({"hue": 180, "saturation": 30})]
    p = [C({"hue": 175, "saturation": -30})]
    s = tool_scores(p, t, "adjust")
    assert s.quality > 0.9 and s.quality_normalized < s.quality  # raw cosine is dominated by hue


def test_cosine_edge_cases():
    assert cosine(np.zeros(3), np.ones(3)) == 0.0
    assert cosine(np.array([1.0, 0]), np.array([-1.0, 0])) == -1.0
    with pytest.raises(ValueError):
        tool_scores([C()], [], "adjust")


def test_perceptual_score_ignores_equivalent_settings_and_ranks_differences():
    from vibegrade.evaluation.perceptual import perceptual_score
    truth = C({"temperature": 40})
    same = C({"temperature": 40})
    near = C({"temperature": 35})
    far = C(None, None, ("negative", 100))
    rep_same = perceptual_score([same], [truth], max_side=48)
    rep_near = perceptual_score([near], [truth], max_side=48)
    rep_far = perceptual_score([far], [truth], max_side=48)
    assert rep_same["mean_delta_e"] == 0.0
    assert 0 < rep_near["mean_delta_e"] < 3 < rep_far["mean_delta_e"]
    assert rep_far["share_below_5"] == 0.0 and rep_same["share_below_5"] == 1.0
