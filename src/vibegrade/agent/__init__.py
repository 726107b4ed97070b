"""Agentic edits for open-ended requests (Plan2Pix for colour and tone): planner -> checklist ->
orchestrator (tool x region) -> judge, with an orchestrator policy learned from high-reward trajectories.
See ``docs/agent.md``."""
