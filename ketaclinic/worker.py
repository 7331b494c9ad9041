"""The background worker's unit of work.

Two kinds of work, one process:
1. due work: domain rows with `due_at`/`claimed_at`/`sent_at` (reminders, ride confirmations,
   safety follow-ups). Each stage app registers a function `(worker_id) -> bool` that claims
   and handles one due row with a conditional UPDATE and returns True if it did something.
2. django-tasks jobs queued with `.enqueue()` (django-tasks-db backend).

`run_one_pass` does at most one item of each kind and returns whether anything was done, so
tests drive it directly and never the loop (healthchecks' sendalerts pattern).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger(__name__)

# Dotted paths of due-work handlers, in priority order (safety work first).
DUE_WORK: list[str] = [
    # outcomes: queue each clinic's due questionnaire reminders (one clinic per call)
    "ketaclinic.outcomes.reminders.sweep_questionnaire_reminders",
    # preparation: build plans and reminder rows for upcoming visits; re-sync moved/cancelled ones
    "ketaclinic.preparation.sweep.sync_one_visit",
    # preparation: open a front desk task for a ride still unconfirmed at the cut-off
    "ketaclinic.preparation.sweep.open_one_ride_task",
    # guide: queue each clinic's guide-page offers at their stage moments (one clinic per call)
    "ketaclinic.guide.delivery.sweep_guide_messages",
    # notifications: claim and send one due email/SMS
    "ketaclinic.notifications.delivery.send_one_due_message",
]

DueWorkHandler = Callable[[str], bool]


def due_work_handlers() -> list[DueWorkHandler]:
    handlers = []
    for path in DUE_WORK:
        module_name, _, attr = path.rpartition(".")
        handlers.append(getattr(importlib.import_module(module_name), attr))
    return handlers


def run_one_task(worker_id: str) -> None:
    """Run at most one ready django-tasks job (the db_worker's own claim logic)."""
    Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=1, worker_id=worker_id, excluded_queue_names=[]).run()


def run_one_pass(worker_id: str) -> bool:
    did_something = False
    for handler in due_work_handlers():
        try:
            did_something |= handler(worker_id)
        except Exception:
            # One bad row must not stop every other reminder; the handler records the error on the row.
            logger.exception("due-work handler %s failed", getattr(handler, "__name__", handler))
    run_one_task(worker_id)
    return did_something
