"""The kinds of job, registered by the apps that own them (in their ``AppConfig.ready``).

The jobs app runs work it knows nothing about: each kind names its handler, ``handler(job, progress)
-> result dict``, as "module:function" (imported on first use, so registering costs nothing), and may
ask to hear of every progress report (``on_progress(job)``) — the voices app mirrors a clone's
progress onto its voice that way — of a failure the handler could not report itself
(``on_failed(job)``: its worker kept dying, or was killed at the hard time limit), and may estimate
its cost in worker seconds from its params (``cost(params)``, used by ``jobs.fairness`` to cap each
user's queued work). ``job_groups_register`` adds websocket groups an app wants a job's
events sent to (the voices app: the voice's own group).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobs.models import Job
    from jobs.runner import JobProgress

Handler = Callable[["Job", "JobProgress"], dict[str, Any]]


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: str  # "module:function"
    on_progress: Callable[[Job], None] | None = None
    on_failed: Callable[[Job], None] | None = None
    cost: Callable[[dict[str, Any]], float] | None = None

    def resolve(self) -> Handler:
        module_name, function_name = self.handler.split(":")
        return getattr(import_module(module_name), function_name)


_kinds: dict[str, JobKind] = {}
_group_hooks: list[Callable[[Job], list[str]]] = []


def job_kind_register(kind: JobKind) -> None:
    _kinds[kind.name] = kind


def job_kind(name: str) -> JobKind:
    if name not in _kinds:
        raise LookupError(f"No job kind {name!r} is registered (known: {', '.join(sorted(_kinds))}).")
    return _kinds[name]


def job_kind_names() -> list[str]:
    return sorted(_kinds)


def job_groups_register(hook: Callable[[Job], list[str]]) -> None:
    if hook not in _group_hooks:
        _group_hooks.append(hook)


def job_extra_groups(job: Job) -> list[str]:
    return [group for hook in _group_hooks for group in hook(job)]
