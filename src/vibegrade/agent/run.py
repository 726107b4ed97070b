"""One agent run: plan, orchestrate on a proxy with frozen masks, judge, and trace.

``run_agent(image, request)``:

1. **Plan**: the planner turns the request into a checklist (infeasible parts are reported, never acted on).
2. **Regions**: the masks the checklist needs are computed once from the original photo
   (:func:`vibegrade.tools.regions.compute_masks`), and a proxy of long side
   :data:`~vibegrade.agent.search.PROXY_SIZE` is made with its masks downsampled (frozen from the original).
3. **Baseline**: the single-shot student's global chain for the same request, scored by the same judge. In
   the search modes it is also a starting point (taken when it scores better than the untouched photo), and
   the student's answer to each item's own words is one more candidate for that item.
4. **Orchestrate** (``mode``):

   * ``rules`` -- each acting item gets its first template at the first-guess strength, no judge;
   * ``search`` -- judge-guided best-of-``budget`` search (:mod:`vibegrade.agent.search`);
   * ``policy`` -- the learned orchestrator without search: its one choice per item and pass, given the
     item's measured progress on the evolving picture, kept when the judge's reward rises (no two actions
     compared);
   * ``policy+search`` -- the policy's ranking orders a small search (the default when a policy ships).

5. **Judge** the final chain on the proxy; the caller renders it at full size with the same masks
   (:attr:`AgentResult.masks`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import cv2
import numpy as np

from vibegrade.agent.actions import (
    Action,
    Candidate,
    Template,
    action_for,
    apply_action,
    apply_actions,
    chain_actions,
    keep_regions,
    protected,
    student_candidates,
    templates,
)
from vibegrade.agent.checklist import Checklist, ChecklistItem
from vibegrade.agent.judge import Verdict
from vibegrade.agent.planner import Planner
from vibegrade.agent.policy import Policy
from vibegrade.agent.search import (
    MIN_GAIN,
    PROXY_SIZE,
    Evaluator,
    Step,
    best_start,
    move_steps,
    progress_of,
    search,
)
from vibegrade.schema import ToolChain
from vibegrade.tools.regions import compute_masks

__all__ = ["Mode", "MODES", "DEFAULT_BUDGET", "AgentResult", "run_agent", "policy_loop", "Observer",
           "proxy_of", "needed_regions", "image_stats"]

Mode = Literal["rules", "search", "policy", "policy+search"]
MODES: tuple[str, ...] = ("rules", "search", "policy", "policy+search")
#: Candidates tried per item and pass by default (``policy+search``: the policy's top ones).
DEFAULT_BUDGET = 4
#: The judge's preservation and skin checks read these masks whatever the checklist names.
_ALWAYS = ("skin", "faces")


def proxy_of(image: np.ndarray, size: int = PROXY_SIZE) -> np.ndarray:
    """``image`` as an 8-bit proxy whose long side is at most ``size`` (area-averaged)."""
    if image.dtype == np.uint16:
        image = (image / 257.0 + 0.5).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
    h, w = image.shape[:2]
    s = min(1.0, size / max(h, w))
    if s >= 1.0:
        return np.ascontiguousarray(image)
    return cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def image_stats(proxy: np.ndarray) -> dict[str, float]:
    """A few statistics of an 8-bit proxy for a planner: mean and spread of CIE L*, mean b* and a*, mean
    chroma, and the percentage of clipped pixels."""
    from vibegrade.agent.measure import clipped, to_lab

    rgb = proxy.astype(np.float32) / 255.0
    lab = to_lab(rgb)
    return {"mean_L": float(lab[..., 0].mean()), "std_L": float(lab[..., 0].std()),
            "mean_b": float(lab[..., 2].mean()), "mean_a": float(lab[..., 1].mean()),
            "mean_chroma": float(np.hypot(lab[..., 1], lab[..., 2]).mean()),
            "clipped_pct": 100.0 * float(clipped(rgb).mean())}


def _data_url(proxy: np.ndarray) -> str:
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(proxy).save(buf, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def needed_regions(checklist: Checklist) -> list[str]:
    return sorted({i.region for i in checklist.items if i.region != "global"} | set(_ALWAYS))


@dataclass
class AgentResult:
    """What one run did; :meth:`trace` is its JSON form."""

    request: str
    checklist: Checklist
    steps: list[Step]
    actions: list[Action]
    chain: ToolChain
    verdict: Verdict
    baseline_chain: ToolChain
    baseline_verdict: Verdict
    masks: dict[str, np.ndarray]
    mode: str
    budget: int
    evaluations: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def checklist_satisfied(self) -> float:
        return float(self.verdict.checklist_satisfied)

    def chain_without(self, step_indices: Sequence[int]) -> ToolChain:
        """The final chain with the given steps switched off (the other steps replayed in order)."""
        off = set(step_indices)
        bad = sorted(i for i in off if not 0 <= i < len(self.actions))
        if bad:
            raise ValueError(f"no step {bad[0]} (this run has {len(self.actions)} steps)")
        return apply_actions(ToolChain(), [a for i, a in enumerate(self.actions) if i not in off])

    def trace(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "mode": self.mode,
            "budget": self.budget,
            "checklist": self.checklist.to_wire()["items"],
            "steps": [s.to_dict() for s in self.steps],
            "chain": self.chain.to_wire(),
            "final": {"checklist_satisfied": round(self.checklist_satisfied, 4),
                      "judge": self.verdict.to_dict()},
            "baseline": {"single_shot": {"chain": self.baseline_chain.to_wire(),
                                         "checklist_satisfied": round(
                                             float(self.baseline_verdict.checklist_satisfied), 4),
                                         "judge": self.baseline_verdict.to_dict()}},
            "evaluations": self.evaluations,
            "timings_ms": {k: round(v * 1000, 1) for k, v in self.timings.items()},
        }


def _rules(checklist: Checklist) -> list[Action]:
    out = []
    for item in sorted(checklist.feasible, key=lambda i: -i.weight):
        ts = templates(item)
        if ts:
            out.append(action_for(item, ts[0]))
    return out


Observer = Callable[[ChecklistItem, ToolChain, Verdict], None]


def policy_loop(policy: Policy, evaluate: Evaluator, checklist: Checklist, passes: int = 2,
                starts: Sequence[list[Action]] = (), verify: bool = True, observe: Observer | None = None
                ) -> tuple[ToolChain, list[Action], list[Step], Verdict]:
    """The learned orchestrator without search: per item and pass, the policy's one choice given the item's
    progress on the evolving picture; an item already met is left alone. No two actions are compared.

    Like the search, it starts from the best of the untouched photo and ``starts`` (the student's look), and
    with ``verify`` it keeps its choice only when the judge's reward rises (the picture is judged after each
    step anyway, for the item's progress, so this costs no extra call; a choice turned down before is not
    judged again, the evaluator remembers every picture). ``observe(item, chain, verdict)`` is called
    before each of the policy's decisions (training asks the search what it would do there,
    :func:`vibegrade.agent.training.relabel`)."""
    chain, actions, steps, verdict = best_start(evaluate, ToolChain(), starts)
    items = sorted((i for i in checklist.feasible if i.direction != "keep"), key=lambda i: -i.weight)
    keeps = keep_regions(checklist.items)
    for p in range(passes):
        for item in items:
            iv = next((v for v in verdict.items if v.id == item.id), None)
            if iv is None or not iv.applicable or (p and iv.satisfied):
                continue
            if observe is not None:
                observe(item, chain, verdict)
            a = policy.decide(item, evaluate.scene, progress_of(verdict, item))
            if a is None:
                continue
            # a global move holds the regions the checklist keeps where they were (no comparison made)
            counter = protected(Candidate(Template("", "global"), 1.0, a), keeps)
            acts = list(counter.actions) if counter is not None else [a]
            try:
                nxt = apply_actions(chain, acts)
            except ValueError:
                continue
            v = evaluate(nxt)
            if verify and v.reward <= verdict.reward + MIN_GAIN:
                continue
            steps.extend(move_steps(acts, verdict, v))
            chain, verdict = nxt, v
            actions.extend(acts)
    return chain, actions, steps, verdict


def run_agent(image: np.ndarray, request: str, *, planner: Planner | None = None,
              policy: Policy | None = None, student: Any = None, mode: Mode | None = None,
              budget: int = DEFAULT_BUDGET, checklist: Checklist | None = None,
              masks: Mapping[str, np.ndarray] | None = None,
              progress: Callable[[str, float], None] | None = None) -> AgentResult:
    """Run the agent on an ``(H, W, 3)`` RGB array (uint8, uint16 or float in [0, 1]).

    ``planner`` defaults to the shipped offline planner, ``policy`` to the shipped policy, ``student`` to
    the shipped vibes student (the single-shot baseline); ``mode`` defaults to ``policy+search`` when a
    policy is available, else ``search``. ``checklist`` skips planning (given plans, evaluation);
    ``masks`` gives the photo's region masks computed before (they must cover :func:`needed_regions`)."""
    if not isinstance(request, str) or not request.strip():
        raise ValueError("the request is empty")
    if len(request) > 500:
        raise ValueError("the request is longer than 500 characters")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {image.shape}")
    if budget < 1 or budget > 64:
        raise ValueError("budget must be within 1..64")
    if mode is not None and mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (one of: {', '.join(MODES)})")
    t: dict[str, float] = {}
    say = progress or (lambda _msg, _frac: None)

    t0 = time.perf_counter()
    proxy = proxy_of(image)
    if checklist is None:
        say("planning", 0.02)
        if planner is None:
            from vibegrade.agent.planner import load_planner

            planner = load_planner()
        if getattr(planner, "reads_image", False):
            url = _data_url(proxy) if getattr(planner, "send_image", False) else None
            checklist = planner.plan(request, stats=image_stats(proxy), image_data_url=url)  # type: ignore[call-arg]
        else:
            checklist = planner.plan(request)
    t["plan"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    say("finding regions", 0.1)
    need = needed_regions(checklist)
    if masks is None or any(r not in masks for r in need):
        masks = compute_masks(image, need)
    masks = {r: masks[r] for r in need}
    ph, pw = proxy.shape[:2]
    proxy_masks = {k: cv2.resize(m, (pw, ph), interpolation=cv2.INTER_AREA) for k, m in masks.items()}
    t["regions"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    evaluate = Evaluator(proxy, proxy_masks, checklist)
    if student is None:
        from vibegrade.students import load_student

        student = load_student()
    # the student's part, in one batch: its look for the whole request (the baseline, and a starting point)
    # and its answer to each acting item's own words (one more candidate for that item)
    acting = [i for i in checklist.feasible if i.direction != "keep"]
    baseline, *item_looks = student.predict([request, *(i.text for i in acting)])
    answers = dict(zip((i.id for i in acting), item_looks))
    baseline_verdict = evaluate(baseline)
    t["baseline"] = time.perf_counter() - t0

    if mode is None:
        if policy is None:
            from vibegrade.agent.policy import load_policy

            policy = load_policy()
        mode = "policy+search" if policy is not None else "search"
    if mode in ("policy", "policy+search") and policy is None:
        raise ValueError(f"mode {mode!r} needs a trained policy")

    t0 = time.perf_counter()
    say("orchestrating", 0.3)
    steps: list[Step] = []
    actions: list[Action]
    starts = [chain_actions(baseline, "student")]

    def extra(item: ChecklistItem) -> list[Candidate]:
        return student_candidates(item, answers[item.id]) if item.id in answers else []

    if mode == "search":
        out = search(evaluate, checklist, budget=budget, passes=2, starts=starts, extra=extra,
                     progress=lambda m, f: say(m, 0.3 + 0.65 * f))
        chain, actions, steps, verdict = out.chain, out.actions, out.steps, out.verdict
    elif mode == "policy+search":
        assert policy is not None
        pol = policy
        out = search(evaluate, checklist, budget=budget, passes=2, starts=starts, extra=extra,
                     choices=lambda item, progress: pol.ranking(item, evaluate.scene, progress),
                     progress=lambda m, f: say(m, 0.3 + 0.65 * f))
        chain, actions, steps, verdict = out.chain, out.actions, out.steps, out.verdict
    elif mode == "policy":
        assert policy is not None
        chain, actions, steps, verdict = policy_loop(policy, evaluate, checklist, starts=starts)
    else:
        chain = ToolChain()
        before = evaluate(chain)
        actions = []
        for a in _rules(checklist):
            try:
                chain = apply_action(chain, a)
                actions.append(a)
            except ValueError:
                continue
        verdict = evaluate(chain)
        # rules judge nothing between steps: each step carries the final score
        steps = [Step(a.item_id, a.tool, a.region, dict(a.params), before.adherence, verdict.adherence,
                      before.reward, verdict.reward) for a in actions]
    t["orchestrate"] = time.perf_counter() - t0
    say("done", 1.0)
    return AgentResult(request=request, checklist=checklist, steps=steps, actions=actions, chain=chain,
                       verdict=verdict, baseline_chain=baseline, baseline_verdict=baseline_verdict,
                       masks=masks, mode=mode, budget=budget, evaluations=evaluate.calls, timings=t)
