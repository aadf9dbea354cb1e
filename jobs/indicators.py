"""The compute job's former module, kept so that ``jobs.indicators:after_poll`` (the poll
pipeline's step) and older imports keep working: the job is the package :mod:`jobs.compute`
(issue 20 split it per domain) and its bulk reads and writes are :mod:`store.bulk`."""

from jobs.compute import ComputeReport, after_poll, applicable_inputs, clear, compute

__all__ = ["ComputeReport", "after_poll", "applicable_inputs", "clear", "compute"]
