"""When the pipeline runs by itself: a daily schedule, a sensor on the inbox, freshness policies.

* ``loyalist_daily`` runs the whole pipeline every day at 04:00 UTC (on by default once the
  Dagster daemon runs, e.g. under ``make ui``).
* ``inbox_files`` looks at the inbox every 30 s (orchestration.inbox) and starts the pipeline
  with the files that stopped changing; each version of a file is requested once (its run key).
* Every asset downstream of raw data should be at most a day and a bit old: the freshness policy
  warns after 26 hours and fails after 50 (two missed daily runs).
"""

from datetime import timedelta

from dagster import (
    DefaultScheduleStatus, DefaultSensorStatus, FreshnessPolicy, RunRequest, ScheduleDefinition,
    SensorEvaluationContext, SkipReason, sensor,
)

from orchestration import settings
from orchestration.inbox import INBOX_FORMATS, ready_files
from orchestration.jobs import loyalist_job

__all__ = ["daily_pipeline", "inbox_files", "DAILY_FRESHNESS"]

daily_pipeline = ScheduleDefinition(
    name="loyalist_daily",
    job=loyalist_job,
    cron_schedule="0 4 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="The whole pipeline every day at 04:00 UTC: what was loaded since flows to the serving marts.",
)


@sensor(job=loyalist_job, minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
        description="Loads files dropped in <inbox>/<format>/ (transactions, customers, online-retail) and runs "
                    "the pipeline on them; a loaded file moves to loaded/.")
def inbox_files(context: SensorEvaluationContext):
    """One pipeline run for the files that are ready, keyed by their versions so none loads twice."""
    inbox = settings.inbox_dir()
    files = ready_files(inbox)
    if not files:
        return SkipReason(f"no file ready in {inbox}/<{'|'.join(INBOX_FORMATS)}>/")
    return RunRequest(
        run_key="|".join(f.version for f in files),
        run_config={"ops": {"raw_data": {"config": {"inbox_files": {str(f.path): f.format for f in files}}}}},
        tags={"loyalist/trigger": "inbox", "loyalist/files": ", ".join(f.path.name for f in files)[:200]},
    )


DAILY_FRESHNESS = FreshnessPolicy.time_window(fail_window=timedelta(hours=50), warn_window=timedelta(hours=26))
