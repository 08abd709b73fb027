"""``python manage.py engines [--json]``: which speech engines this machine can run, and on what terms.

For each registered engine: available or not (and why not, in words an operator can act on), the
languages it speaks, its licence and whether that allows commercial use, and the Celery queue its jobs
go to. Nothing heavy is loaded: availability checks look for packages and files, they import no model.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from django.core.management.base import BaseCommand, CommandParser

from engines import engine_names, get_engine


@dataclass
class EngineReport:
    name: str
    label: str
    available: bool
    reason: str
    languages: list[str]
    license: str
    commercial_use: bool
    license_notes: str
    queue: str


def engine_report(name: str) -> EngineReport:
    try:
        engine = get_engine(name)
    except (ImportError, AttributeError) as exc:
        # A registered engine whose module is missing or broken is reported, not fatal to the listing.
        return EngineReport(name, name, False, f"its module cannot be imported: {exc}", [], "", False, "", "")
    availability = engine.availability()
    return EngineReport(
        name=engine.name,
        label=engine.label,
        available=availability.available,
        reason=availability.reason,
        languages=list(engine.languages),
        license=engine.license.name,
        commercial_use=engine.license.commercial_use,
        license_notes=engine.license.notes,
        queue=engine.queue,
    )


class Command(BaseCommand):
    help = "List the speech engines: availability (and why not), languages, licence, commercial use, queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print a JSON list instead of text.")

    def handle(self, *args: object, **options: object) -> None:
        reports = [engine_report(name) for name in engine_names()]
        if options["json"]:
            self.stdout.write(json.dumps([asdict(report) for report in reports], indent=2))
            return
        for report in reports:
            self._write(report)

    def _write(self, report: EngineReport) -> None:
        status = self.style.SUCCESS("available") if report.available else self.style.ERROR("unavailable")
        self.stdout.write(f"{report.name} ({report.label}): {status}")
        if not report.available:
            self.stdout.write(f"  why not:    {report.reason}")
        self.stdout.write(f"  languages:  {', '.join(report.languages) or '-'}")
        if report.license:
            commercial = "commercial use allowed" if report.commercial_use else "no commercial use"
            self.stdout.write(f"  licence:    {report.license} ({commercial})")
        if report.license_notes:
            self.stdout.write(f"  notes:      {report.license_notes}")
        self.stdout.write(f"  queue:      {report.queue or '-'}")
