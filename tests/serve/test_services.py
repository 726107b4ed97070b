"""The service layer under the routers (vibegrade.serve.services): model choice and A/B assignment."""

from __future__ import annotations

from vibegrade.analytics.experiments import ExperimentsConfig, assign
from vibegrade.schema import ToolChain
from vibegrade.serve.services.grading import choose_model, predict_chain


class FakeModels:
    """A model cache stand-in: ``default`` resolves to a folder; ``get`` records what was asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def resolve(self, name: str) -> str | None:
        return "/models/shipped" if name == "default" else None

    def get(self, name: str) -> object:
        self.asked.append(name)
        return object()


def _experiments(active: bool) -> ExperimentsConfig:
    ended = {} if active else {"start": "2000-01-01T00:00:00Z", "stop": "2001-01-01T00:00:00Z"}
    return ExperimentsConfig.model_validate({"experiments": [{
        "name": "exp1", **ended,
        "variants": [{"name": "a", "model": "default", "weight": 1},
                     {"name": "b", "model": "/models/candidate", "weight": 1}]}]})


def test_no_active_experiment_serves_the_default_model():
    assert choose_model(_experiments(False), "u1", FakeModels()) == (None, None, "/models/shipped")


def test_active_experiment_serves_the_users_variant():
    exps = _experiments(True)
    seen = set()
    for i in range(40):
        user = f"user-{i}"
        variant = assign(exps.active()[0], user)
        expected = "/models/shipped" if variant.model == "default" else variant.model
        assert choose_model(exps, user, FakeModels()) == ("exp1", variant.name, expected)
        seen.add(variant.name)
    assert seen == {"a", "b"}  # both variants are served to some users


def test_override_is_served_as_given_without_a_prediction():
    models = FakeModels()
    chain = ToolChain.model_validate({"adjust": {"exposure": 10}})
    p = predict_chain("golden hour", "u1", models, _experiments(True), override=chain)
    assert p.chain == chain and p.latency_ms == 0.0 and p.experiment == "exp1"
    assert models.asked == []
