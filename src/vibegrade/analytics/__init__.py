"""A/B experiments, below the service that runs them.

* :mod:`vibegrade.analytics.experiments` -- experiment definitions (TOML/JSON) and sticky variant assignment.
* :mod:`vibegrade.analytics.abstats` -- completion-rate statistics and the report (needs the ``analytics``
  extra, scipy).
* :mod:`vibegrade.analytics.simulate` -- simulated users against a running service (offline checks).
"""
