"""Compiling a county's list in the background (R-LIST-1), under ``core.jobs.job_run``. There is
no job row: the run (``core.JobRun`` keyed by the county and the year) is the record the list
page reads (处理中 n%, 失败 with the message). Compiling again is harmless (an entry whose
content did not change gets no new revision), so a redelivered or retried message may run."""

from celery import shared_task

from core.jobs import job_kind, job_run
from emergency_list.services.entries import list_generate
from emergency_list.tasks.documents import RunRecordedKind
from emergency_list.tasks.retry import RETRY
from grading.models import Region, User

GENERATE_TASK = "emergency_list.tasks.generate_list"

job_kind(GENERATE_TASK, RunRecordedKind(model=Region, progress_field=None, error_field=None))


def generate_run_key(county_pk: int, year: int) -> str:
    """The run's object id: one run record per county and year."""
    return f"{county_pk}-{year}"


@shared_task(
    name=GENERATE_TASK,
    bind=True,
    acks_late=True,
    soft_time_limit=1800,
    time_limit=1900,
    **RETRY,
)
def generate_list(self, county_pk: int, year: int, actor_pk: int) -> int:
    """Compile or refresh a county's list (R-LIST-1); queued by ``list_generate_request``."""
    with job_run(self, GENERATE_TASK, generate_run_key(county_pk, year)) as run:
        if run.skip:
            return 0
        run.progress(1)

        def progress(done: int, total: int) -> None:
            run.progress(1 + int(98 * done / total) if total else 99)

        return list_generate(
            actor=User.objects.get(pk=actor_pk),
            county=Region.objects.get(pk=county_pk),
            year=year,
            progress=progress,
        )
