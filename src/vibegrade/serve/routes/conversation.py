"""Conversation endpoints: refine a project's chain with follow-up requests, read and step its history.

Thin: the conversation itself (replay, turns, concurrency) is :mod:`vibegrade.serve.services.conversation`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from vibegrade.data.rows import MAX_INTENT_CHARS, clean_intent
from vibegrade.serve.deps import IdPath, RefinerDep, StoreDep, UserDep
from vibegrade.serve.errors import ErrorResponse
from vibegrade.serve.services.conversation import (
    MAX_TURNS,
    Conversation,
    TurnResult,
    load_conversation,
    refine_project,
    step_project,
)
from vibegrade.serve.uploads import tools_or_422

__all__ = ["router", "RefineRequest", "HistoryResponse", "TurnResponse"]

router = APIRouter()


class RefineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request: str = Field(description=f"the follow-up, 1..{MAX_INTENT_CHARS} characters: a change ('warmer', "
                                     "'less orange', 'less'), a look to move toward or switch to, or 'undo', "
                                     "'redo', 'reset'", examples=["a bit warmer"])
    tools: dict[str, Any] | None = Field(
        default=None, description="the chain on screen (wire form), when the user moved sliders since the "
                                  "last turn: it is recorded first, so the request refines what is shown")

    @field_validator("request")
    @classmethod
    def _clean(cls, v: str) -> str:
        return clean_intent(v)


class HistoryEntryOut(BaseModel):
    request: str = Field(description="what was asked ('' for a slider change; the look for entry 0)")
    op: str = Field(description="start, edit, toward, replace or reset (an edit without request: sliders)")
    tools: dict[str, Any] = Field(description="the chain of this entry (wire form)")


class HistoryOut(BaseModel):
    cursor: int = Field(description="index of the current entry")
    entries: list[HistoryEntryOut] = Field(description="every chain of the conversation, oldest first")


class HistoryResponse(BaseModel):
    project_id: str
    turn: int = Field(description="turns recorded on this project so far")
    tools: dict[str, Any] = Field(description="the current chain (wire form)")
    history: HistoryOut


class TurnResponse(HistoryResponse):
    op: str = Field(description="what the turn did: edit, toward, replace, undo, redo, reset (a follow-up) "
                                "or go (a step in the history)")
    changed: bool = Field(description="false when nothing moved: an undo or redo with nowhere to go, a step "
                                      "to the current entry")


def _history(conv: Conversation) -> dict[str, Any]:
    return {"project_id": conv.project_id, "turn": conv.turns, "tools": conv.history.current.to_wire(),
            "history": conv.history.to_dict()}


def _turn(result: TurnResult) -> TurnResponse:
    return TurnResponse(**{**_history(result.conversation), "turn": result.turn, "op": result.op,
                           "changed": result.changed})


_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "unknown project, or another user's (project_not_found)"},
    409: {"model": ErrorResponse, "description": f"the project has {MAX_TURNS} turns (conversation_full), "
                                                 "or concurrent turns kept winning (conversation_busy)"},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse,
          "description": "the refinement model cannot be loaded (refiner_unavailable)"},
}


@router.post("/v1/projects/{project_id}/refine", response_model=TurnResponse, responses=_RESPONSES,
             tags=["conversation"])
def refine(project_id: IdPath, body: RefineRequest, user_id: UserDep, store: StoreDep,
           refiner: RefinerDep) -> TurnResponse:
    """Refine the project's current chain with a follow-up ("warmer", "less", "undo"); the turn is recorded
    in its history."""
    shown = tools_or_422(body.tools) if body.tools is not None else None
    return _turn(refine_project(store, refiner, project_id, user_id, body.request, shown))


@router.get("/v1/projects/{project_id}/history", response_model=HistoryResponse,
            responses={404: _RESPONSES[404], 422: _RESPONSES[422]}, tags=["conversation"])
def history(project_id: IdPath, user_id: UserDep, store: StoreDep) -> HistoryResponse:
    """The project's conversation: every chain it has had and which one is current."""
    return HistoryResponse(**_history(load_conversation(store, project_id, user_id)))


@router.post("/v1/projects/{project_id}/history/{index}", response_model=TurnResponse,
             responses={404: {"model": ErrorResponse,
                              "description": "unknown project (project_not_found) or index outside the "
                                             "history (entry_not_found)"},
                        409: _RESPONSES[409], 422: _RESPONSES[422]},
             tags=["conversation"])
def step(project_id: IdPath,
         index: Annotated[int, Path(ge=0, le=10_000, description="the entry to make current")],
         user_id: UserDep, store: StoreDep) -> TurnResponse:
    """Make an entry of the history current (the web editor's history list and undo/redo buttons)."""
    return _turn(step_project(store, project_id, user_id, index))
