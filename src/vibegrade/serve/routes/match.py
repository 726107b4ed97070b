"""``POST /v1/match``: the chain that gives an uploaded photo the look of an uploaded reference photo.

Thin: uploads are read by :func:`vibegrade.serve.uploads.read_upload_image` (the limits of /v1/edit), the
fit and the project record are :mod:`vibegrade.serve.services.matching`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, Field

from vibegrade.serve.deps import BudgetDep, SettingsDep, StoreDep, UserDep
from vibegrade.serve.errors import ERRORS
from vibegrade.serve.services.matching import fit_and_record
from vibegrade.serve.uploads import read_upload_image

__all__ = ["router", "MatchDistance", "MatchFit", "MatchResponse"]

router = APIRouter()


class MatchDistance(BaseModel):
    bands_de00: float = Field(description="mean CIEDE2000 between the mean colours of five lightness bands "
                                          "of equal pixel count (tone curve, white balance, split toning)")
    w1_lightness: float = Field(description="Wasserstein-1 distance between the L* distributions")
    w1_ab: float = Field(description="mean Wasserstein-1 distance between the a* and the b* distributions")


class MatchFit(BaseModel):
    before: MatchDistance = Field(description="the photo against the reference")
    after: MatchDistance = Field(description="the photo graded with the fitted chain against the reference")
    seconds: float = Field(description="wall time of the fit")
    filters_tried: int = Field(description="filter presets tried as candidates")


class MatchResponse(BaseModel):
    project_id: str = Field(description="the recorded project (intent 'match: <reference file name>')")
    tools: dict[str, Any] = Field(description="the fitted tool chain (wire form)")
    fit: MatchFit = Field(description="colour statistics distances (CIELAB units), measured on copies "
                                      "about 100 px wide")


_IMAGE = "JPEG, PNG, WebP or TIFF image"


@router.post("/v1/match", response_model=MatchResponse, responses=ERRORS, tags=["grading"])
def match(file: Annotated[UploadFile, File(description=f"the photo to grade: {_IMAGE}")],
          reference: Annotated[UploadFile, File(description=f"the photo whose look to take on: {_IMAGE}")],
          user_id: UserDep, store: StoreDep, settings: SettingsDep, budget: BudgetDep) -> MatchResponse:
    """Fit the tool chain that gives ``file`` the colour and tone of ``reference`` and record it as a project.

    The chain is editable: render it with /v1/render, or continue from the project. Takes a second or a few.
    """
    image = read_upload_image(file, settings, budget, field="file")
    ref = read_upload_image(reference, settings, budget, field="reference")
    project_id, res = fit_and_record(store, user_id, image, ref, reference.filename)
    rep = res.report()
    return MatchResponse(project_id=project_id, tools=res.chain.to_wire(), fit=MatchFit(**rep))
