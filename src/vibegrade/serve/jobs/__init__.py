"""Video edit jobs: renders that run outside the request, in this process or on a Dramatiq task queue.

A job is one video to grade with one tool chain. Its files live in ``jobs_dir/{job_id}/``: the saved
upload (``input.*``, deleted once the job ends) and the graded video (``output.mp4``, written atomically,
so a reader never sees half a file). Its state (``queued`` → ``running`` → ``done`` | ``failed``, frames
done, error) lives with the queue.

Two parts, apart:

* the **transport** delivers jobs and keeps their state: :class:`JobQueue` (:mod:`.queue`: job folders,
  submission, per-client limits, worker lifecycle) and its backends,

  - :class:`InProcessJobQueue` (:mod:`.inprocess`, default): a dict under a lock and ``workers`` threads
    in this process. Jobs die with the process; with several API processes a status request can reach a
    process that does not know the job, so use the distributed queue there.
  - :class:`~vibegrade.serve.jobs_dramatiq.DramatiqJobQueue` (``redis_url`` set, the ``redis`` extra):
    delivery by `Dramatiq <https://dramatiq.io>`_ over Redis (its ack sets and worker heartbeats re-deliver
    the jobs of a worker that died), each job's state in one Redis hash shared by every API process and
    ``vibegrade worker`` process. See that module.

* the **runner** (:class:`JobRunner`, :mod:`.runner`) renders one started job (decode, grade, encode through
  :func:`vibegrade.media.pipeline.render_file`) and reports progress and the outcome (:class:`JobReport`)
  to whichever transport delivered it; it knows nothing of the transport.

:mod:`.model` holds what both share (the spec, the record, ids, limits, errors); :mod:`.worker` makes the
queue the settings ask for and runs the standalone worker. Job folders older than the TTL are removed by a
cheap sweep when jobs are submitted (at most once a minute per queue).
"""

from __future__ import annotations

from vibegrade.serve.jobs.inprocess import InProcessJobQueue
from vibegrade.serve.jobs.model import (
                                        ACTIVE_STATES,
                                        DEFAULT_MAX_ATTEMPTS,
                                        OUTPUT_MEDIA_TYPE,
                                        OUTPUT_NAME,
                                        PROGRESS_INTERVAL_S,
                                        SHUTDOWN_GRACE_S,
                                        STATE_NAME,
                                        SWEEP_INTERVAL_S,
                                        JobLimitReached,
                                        JobQueueStopped,
                                        JobQueueUnavailable,
                                        JobRecord,
                                        JobSpec,
                                        JobState,
                                        default_jobs_dir,
                                        is_job_id,
                                        new_job_id,
)
from vibegrade.serve.jobs.queue import JobQueue
from vibegrade.serve.jobs.runner import JobReport, JobRunner, public_media_message
from vibegrade.serve.jobs.worker import make_job_queue, run_worker

__all__ = ["JobState", "JobSpec", "JobRecord", "JobQueue", "InProcessJobQueue", "JobRunner", "JobReport",
           "JobQueueUnavailable", "JobQueueStopped", "JobLimitReached", "make_job_queue", "default_jobs_dir",
           "new_job_id", "is_job_id", "public_media_message", "run_worker", "OUTPUT_NAME",
           "OUTPUT_MEDIA_TYPE",
           "SHUTDOWN_GRACE_S", "ACTIVE_STATES", "DEFAULT_MAX_ATTEMPTS", "PROGRESS_INTERVAL_S", "STATE_NAME",
           "SWEEP_INTERVAL_S"]
