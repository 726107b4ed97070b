"""Soft masks of the regional tool's regions (:data:`vibegrade.schema.REGION_NAMES`), computed once per
image."""
