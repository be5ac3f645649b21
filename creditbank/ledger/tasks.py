"""Thin django-tasks wrappers: the worker's periodic checkpoint.

``creditbank ledger schedule`` starts the chain; each run signs a checkpoint (when the tree has
grown), publishes it to the anchors, and enqueues the next run ``every`` seconds later
(``run_after``, which the database backend of django-tasks supports). A newer schedule's token
replaces the old one, so a chain started twice stops at its next turn.
"""

from __future__ import annotations

from django_tasks import task


@task()
def make_checkpoint_task(token: str = "", every: int = 0) -> str:
    from creditbank.ledger import services

    return services.run_scheduled_checkpoint(token=token, every=every)
