"""Annotator votes: majority answer per task and question, and agreement between annotators.

Plain Python on :meth:`vibegrade.data.events.AnnotationStore.votes` (used by
``vibegrade annotate report``; see ``docs/annotate.md``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vibegrade.data.events import ANNOTATION_ANSWERS, ANNOTATION_QUESTIONS

__all__ = ["TIE", "majority", "agreeing_pairs", "build_report"]

TIE = "tie"


def majority(answers: Iterable[str]) -> str | None:
    """The most frequent answer; ``"tie"`` when several share the top count; None without answers."""
    counts = Counter(answers)
    if not counts:
        return None
    top = max(counts.values())
    leaders = [a for a, n in counts.items() if n == top]
    return leaders[0] if len(leaders) == 1 else TIE


def agreeing_pairs(answers: Sequence[str]) -> tuple[int, int]:
    """``(pairs of annotators giving the same answer, pairs of annotators)`` for one task and question."""
    n = len(answers)
    same = sum(c * (c - 1) // 2 for c in Counter(answers).values())
    return same, n * (n - 1) // 2


def build_report(tasks: Iterable[Any], min_votes: int = 1,
                 questions: Sequence[str] | None = None,
                 answers: Sequence[str] | None = None) -> dict[str, Any]:
    """Majority votes per task and question, and a summary per question.

    ``tasks``: :class:`vibegrade.data.events.TaskVotes` (``.task`` and ``.votes[question][annotator]``).
    A task's question counts once it has at least ``min_votes`` answers (>= 1); tasks with no question at
    that level are left out. Per question the summary gives the number of tasks, the share (0..1) of them
    whose majority is each answer or a tie, the annotators who answered it, and the raw agreement: the
    share of pairs of annotators on the same task giving the same answer (None without any pair).
    """
    if min_votes < 1:
        raise ValueError("--min-votes must be at least 1")
    questions = tuple(questions or ANNOTATION_QUESTIONS)
    answers = tuple(answers or ANNOTATION_ANSWERS)
    outcomes = (*answers, TIE)
    summary: dict[str, dict[str, Any]] = {
        q: {"tasks": 0, "majority_counts": {o: 0 for o in outcomes}, "annotators": set(),
            "agreeing_pairs": 0, "pairs": 0} for q in questions}
    out_tasks = []
    total = 0
    for tv in tasks:
        total += 1
        per_q: dict[str, Any] = {}
        for q in questions:
            votes: Mapping[str, str] = tv.votes.get(q, {})
            if len(votes) < min_votes:
                per_q[q] = None
                continue
            values = [votes[a] for a in sorted(votes)]
            counts = Counter(values)
            maj = majority(values)
            s = summary[q]
            s["tasks"] += 1
            s["majority_counts"][maj] = s["majority_counts"].get(maj, 0) + 1
            s["annotators"].update(votes)
            same, pairs = agreeing_pairs(values)
            s["agreeing_pairs"] += same
            s["pairs"] += pairs
            per_q[q] = {"majority": maj, "votes": {a: counts.get(a, 0) for a in answers}
                        | {a: n for a, n in counts.items() if a not in answers},
                        "annotators": sorted(votes)}
        if any(v is not None for v in per_q.values()):
            t = tv.task
            out_tasks.append({"task_id": t.id, "intent": t.intent, "image": t.image,
                              "student_model": t.student_model, "dataset": t.dataset, "questions": per_q})
    all_annotators = sorted(set().union(*(s["annotators"] for s in summary.values())))
    out_summary = {}
    for q, s in summary.items():
        n = s["tasks"]
        out_summary[q] = {
            "tasks": n,
            "majority": {o: (round(c / n, 4) if n else None) for o, c in s["majority_counts"].items()},
            "majority_counts": dict(s["majority_counts"]),
            "annotators": len(s["annotators"]),
            "agreement": round(s["agreeing_pairs"] / s["pairs"], 4) if s["pairs"] else None,
            "pairs": s["pairs"],
        }
    return {"min_votes": min_votes, "questions": list(questions), "answers": list(answers),
            "tasks_in_store": total, "tasks_reported": len(out_tasks), "annotators": all_annotators,
            "summary": out_summary, "tasks": out_tasks}
