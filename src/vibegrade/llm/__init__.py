"""vibegrade.llm

The teacher side of distillation: a large LLM turns a look request into tool settings.

* :mod:`vibegrade.llm.prompts` -- teacher and student prompts per tool, derived from :mod:`vibegrade.schema`.
* :mod:`vibegrade.llm.parse` -- robust parsing of answers into valid, flagged tool settings.
* :mod:`vibegrade.llm.client` -- async OpenAI-compatible client: retries, disk cache, cost accounting.
* :mod:`vibegrade.llm.config` -- connection settings from flags, environment and a TOML file.
* :mod:`vibegrade.llm.teacher` -- label one request (three concurrent calls) or a whole file, resumably.

Submodules are imported on demand; only :mod:`~vibegrade.llm.client` needs the ``openai`` package, and only
when a client is created.
"""
