"""Invited annotators: their names (cleaned, normalised) and the hashes of their tokens."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
import uuid

from sqlalchemy import select

from vibegrade.data.events.database import Database
from vibegrade.data.events.models import Annotator, utcnow
from vibegrade.data.rows import clean_text

__all__ = ["AnnotatorStore", "AnnotatorExistsError", "MAX_ANNOTATOR_CHARS", "clean_annotator",
           "normalize_annotator", "hash_token"]

#: Longest annotator name the store accepts (the ``annotations.annotator`` column is 128 characters).
MAX_ANNOTATOR_CHARS = 128


class AnnotatorExistsError(ValueError):
    """``add`` for a name (after normalisation) that already has a token."""


def clean_annotator(name: object, max_chars: int = MAX_ANNOTATOR_CHARS) -> str:
    """An annotator name with whitespace collapsed; ``ValueError`` if empty, longer than ``max_chars``
    characters or containing control characters (:func:`vibegrade.data.rows.clean_text`). Names are
    case-sensitive."""
    return clean_text(name, subject="the annotator name", max_chars=max_chars, reject_control=True)


def normalize_annotator(name: object, max_chars: int = MAX_ANNOTATOR_CHARS) -> str:
    """The key an annotator is known by: :func:`clean_annotator`, then Unicode NFKC and case folding, so
    look-alikes collide (``Alice``, ``ALICE`` and full-width ``ａｌｉｃｅ`` are all ``alice``)."""
    cleaned = clean_annotator(name, max_chars)
    key = " ".join(unicodedata.normalize("NFKC", cleaned).casefold().split())
    if not key or any(not ch.isprintable() for ch in key):
        raise ValueError("the annotator name must be printable text")
    if len(key) > max_chars:
        raise ValueError(f"the annotator name is {len(key)} characters long; the limit is {max_chars}")
    return key


def hash_token(token: str) -> str:
    """SHA-256 (hex) of an annotator token: tokens are random 192-bit strings, so a plain hash suffices."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AnnotatorStore:
    """The ``annotators`` table: who may answer on the reality-check page."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, name: str, *, rotate: bool = False) -> tuple[str, str]:
        """Invite an annotator: returns ``(normalised name, token)``; only the token's hash is stored.

        ``rotate``: the annotator exists already: give them a new token (the old one stops working).
        Raises :class:`AnnotatorExistsError` when the name (after normalisation) has a token and not
        ``rotate``, ``ValueError`` for an invalid name or ``rotate`` of an unknown one.
        """
        self._db.ensure()
        display = clean_annotator(name)
        key = normalize_annotator(display)
        token = secrets.token_urlsafe(24)
        with self._db.write.begin() as s:
            row = s.scalar(select(Annotator).where(Annotator.name == key))
            if row is not None and not rotate:
                raise AnnotatorExistsError(
                    f"annotator {key!r} already has a token (names are compared after case folding and "
                    "Unicode normalisation); use --rotate for a new one")
            if row is None and rotate:
                raise ValueError(f"no annotator {key!r} to rotate; invite them first")
            if row is None:
                s.add(Annotator(id=str(uuid.uuid4()), name=key, display_name=display,
                                token_hash=hash_token(token), created_at=utcnow()))
            else:
                row.token_hash = hash_token(token)
        return key, token

    def for_token(self, token: str) -> str | None:
        """The normalised name of the annotator holding ``token``, or None."""
        self._db.ensure()
        with self._db.read() as s:
            return s.scalar(select(Annotator.name).where(Annotator.token_hash == hash_token(str(token))))
