"""What the service does, below its routers: the routers in :mod:`vibegrade.serve.routes` parse HTTP and
call these modules; no router imports another router.

* :mod:`.grading` -- which model serves a request (the A/B assignment), the prediction, its record;
* :mod:`.conversation` -- a project's conversation: follow-up requests refining its chain, its history
  rebuilt from the stored turns, concurrent turns retried;
* :mod:`.video_jobs` -- a video upload accepted as a job: saved, probed, queued, answered with 202.
"""
