"""Jobs: the scheduler process, its single-instance lock, and the record of every run.

``run_scheduler`` is ``citybrain scheduler`` (blocking); ``start_background`` runs the
same jobs inside another process (``citybrain demo``). ``jobs.pipeline.AFTER_POLL_STEPS``
is the hook list that chains computation after new data.
"""

from jobs.pipeline import AFTER_POLL_STEPS, after_poll
from jobs.scheduler import run_scheduler, start_background, stop_background

__all__ = ["run_scheduler", "start_background", "stop_background", "after_poll", "AFTER_POLL_STEPS"]
