"""The one cleaner of short user text (vibegrade.data.rows.clean_text) and its three users: requests
(clean_intent), prompts (llm.prompts.prompt_intent) and annotator names (clean_annotator)."""

from __future__ import annotations

import pytest

from vibegrade.data.events import clean_annotator
from vibegrade.data.rows import MAX_INTENT_CHARS, clean_intent, clean_text
from vibegrade.llm.prompts import prompt_intent


def test_whitespace_and_control_characters_become_one_space():
    assert clean_text(" golden\t\nhour\x00\x07 warm ", subject="x", max_chars=50) == "golden hour warm"
    assert clean_intent("  golden \u2028 hour\u200b ") == "golden hour"  # line separator, zero-width space


@pytest.mark.parametrize("bad, message", [
    (None, "request must be text"),
    ("  \t ", "empty request: describe the look you want, e.g. 'golden hour'"),
    ("\x00\x01", "empty request"),
    ("x" * (MAX_INTENT_CHARS + 1), f"request is {MAX_INTENT_CHARS + 1} characters long; the limit is "
                                   f"{MAX_INTENT_CHARS}"),
])
def test_intent_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        clean_intent(bad)


@pytest.mark.parametrize("bad, message", [
    (7, "the annotator name must be text"),
    ("ada\x00", "the annotator name must not contain control characters"),
    ("   ", "the annotator name must not be empty"),
    ("x" * 11, "the annotator name is 11 characters long; the limit is 10"),
])
def test_annotator_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        clean_annotator(bad, 10)


def test_annotator_names_keep_case_and_collapse_whitespace():
    assert clean_annotator("  Ada \t Lovelace\n") == "Ada Lovelace"


def test_prompt_mode_never_raises_and_cuts_to_the_limit():
    assert prompt_intent("  golden\n\nhour ") == "golden hour"
    assert prompt_intent("") == ""
    assert prompt_intent(42) == "42"
    assert prompt_intent("a\x00b") == "a b"
    long = prompt_intent("word " * 200)
    assert len(long) == MAX_INTENT_CHARS and long == ("word " * 200).strip()[:MAX_INTENT_CHARS]
