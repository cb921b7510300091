"""The scheduler: re-pull tracked creators and track campaigns on a timetable, then raise alerts.

A schedule (``schedules``, per workspace) is ``creators`` (re-pull every tracked creator with
:func:`microscout.connectors.refresh_creators`, optionally of one platform, then re-profile
incrementally with :func:`microscout.profile.run_profile`) or ``campaign`` (collect and classify a
campaign's posts with ``microscout.tracking.track_campaign``), every N minutes.

:func:`run_due` is one pass: it runs each due schedule once, records when and how it went and when
it is due next, then evaluates the alert rules and delivers (:func:`microscout.alerts.check_alerts`).
A pass is idempotent: a second pass at the same ``now`` finds nothing due, raises no alert and
delivers nothing. ``microscout scheduler --once`` is one pass (for cron); without ``--once`` it loops.

>>> from microscout.store import connect
>>> store = connect(":memory:")
>>> add_schedule(store, "default", "creators", every_minutes=60, now=dt.datetime(2026, 11, 1, 9, 30, 12))["next_run_at"]
datetime.datetime(2026, 11, 1, 9, 30)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from microscout.config import Settings
from microscout.errors import InvalidInputError, MicroscoutError, NotFoundError
from microscout.store import Store, connect, utcnow
from microscout.workspace import scoped_delete, scoped_rows

__all__ = [
    "KINDS",
    "add_schedule",
    "list_schedules",
    "loop",
    "remove_schedule",
    "run_due",
    "run_schedule",
]

logger = logging.getLogger(__name__)

KINDS = ("creators", "campaign")
MAX_EVERY_MINUTES = 7 * 24 * 60
STATUS_CHARS = 300

Runner = Callable[[Store, Settings, str, dict[str, Any], dt.datetime], str]
Sleep = Callable[[float], None]


def _minute(when: dt.datetime) -> dt.datetime:
    return when.replace(second=0, microsecond=0)


def _next_run(base: dt.datetime | None, every: int, now: dt.datetime) -> dt.datetime:
    """The first time after ``now`` on the schedule's grid (``base`` + whole periods): no drift."""
    step = dt.timedelta(minutes=every)
    base = base or _minute(now)
    if base > now:
        return base
    return base + step * ((now - base) // step + 1)


def _schedule_id(kind: str, target: str | None) -> str:
    return hashlib.sha256(f"{kind}\x1f{target or ''}".encode()).hexdigest()[:12]


def add_schedule(
    store: Store,
    workspace: str,
    kind: str,
    target: str | None = None,
    *,
    every_minutes: int,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Schedule ``kind`` (creators [platform] or campaign <id>) every N minutes; due at once.

    Scheduling the same kind and target again changes its period.
    """
    now = now or utcnow()
    if kind not in KINDS:
        raise InvalidInputError(f"unknown schedule kind {kind!r}; use {' or '.join(KINDS)}")
    if (
        isinstance(every_minutes, bool)
        or not isinstance(every_minutes, int)
        or not 1 <= every_minutes <= MAX_EVERY_MINUTES
    ):
        raise InvalidInputError(
            f"every: minutes must be a whole number from 1 to {MAX_EVERY_MINUTES}, got {every_minutes!r}"
        )
    if kind == "campaign":
        if not target:
            raise InvalidInputError("a campaign schedule needs the campaign: schedule add campaign <id> --every N")
        from microscout.alerts import campaign_id_of

        target = campaign_id_of(store, workspace, target)
    elif target:
        from microscout.connectors import SOURCES

        if target not in SOURCES:
            raise InvalidInputError(f"unknown platform {target!r}; use one of {', '.join(sorted(SOURCES))}")
    schedule_id = _schedule_id(kind, target)
    existing = scoped_rows(store, "schedules", workspace, where="schedule_id = ?", params=[schedule_id])
    last = existing[0]["last_run_at"] if existing else None
    next_run = _minute(now) if last is None else max(_minute(now), last + dt.timedelta(minutes=every_minutes))
    store.insert_rows(
        "schedules",
        [
            {
                "schedule_id": schedule_id,
                "kind": kind,
                "target": target,
                "every_minutes": every_minutes,
                "last_run_at": last,
                "next_run_at": next_run,
                "last_status": existing[0]["last_status"] if existing else None,
            }
        ],
        workspace=workspace,
    )
    return scoped_rows(store, "schedules", workspace, where="schedule_id = ?", params=[schedule_id])[0]


def list_schedules(store: Store, workspace: str) -> list[dict[str, Any]]:
    """Schedules of ``workspace``, the next due first."""
    columns = "schedule_id, kind, target, every_minutes, last_run_at, next_run_at, last_status"
    return scoped_rows(store, "schedules", workspace, columns=columns, order_by="next_run_at NULLS FIRST, schedule_id")


def remove_schedule(store: Store, workspace: str, schedule_id: str) -> None:
    """Delete a schedule."""
    if not scoped_delete(store, "schedules", workspace, where="schedule_id = ?", params=[schedule_id]):
        raise NotFoundError(f"no schedule {schedule_id!r} in workspace {workspace!r} (see `microscout schedule ls`)")


def _summary(result: Any) -> str:
    if isinstance(result, Mapping):
        parts = [f"{k} {v}" for k, v in result.items() if isinstance(v, int | float | str) and not isinstance(v, bool)]
        return ", ".join(parts[:6])
    return ""


def run_schedule(store: Store, settings: Settings, workspace: str, schedule: dict[str, Any], now: dt.datetime) -> str:
    """Run one schedule now (the default runner of :func:`run_due`); returns its status line."""
    if schedule["kind"] == "creators":
        from microscout.connectors import Request, refresh_creators
        from microscout.profile import run_profile

        platforms = [schedule["target"]] if schedule["target"] else None
        result = refresh_creators(store, Request(), platforms=platforms, workspace=workspace)
        # incremental: creators whose inputs did not change are skipped
        run_profile(store, now=now)
        notes = f"; {len(result.notes)} note(s): {result.notes[0]}" if result.notes else ""
        return f"ok: refresh {result.status}, {result.requests} request(s), profiled{notes}"
    if schedule["kind"] == "campaign":
        try:
            from microscout.tracking import track_campaign
        except ImportError as exc:
            raise MicroscoutError(f"campaign tracking is not available in this installation ({exc})") from exc
        summary = track_campaign(store, workspace, schedule["target"], settings=settings, now=now)
        detail = _summary(summary.to_dict() if hasattr(summary, "to_dict") else summary)
        return f"ok: tracked{': ' + detail if detail else ''}"
    raise InvalidInputError(f"unknown schedule kind {schedule['kind']!r}")


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= STATUS_CHARS else text[: STATUS_CHARS - 1] + "…"


def run_due(
    store: Store,
    settings: Settings,
    workspace: str,
    now: dt.datetime | None = None,
    *,
    runner: Runner = run_schedule,
    sleep: Sleep = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """One pass: run each due schedule once, then evaluate and deliver alerts.

    A failing schedule records ``failed: <reason>`` and the pass goes on. Returns
    ``{ran: [{schedule_id, kind, target, status}], alerts: [new alerts], deliveries: [...]}``.
    """
    from microscout.alerts import check_alerts

    now = now or utcnow()
    due = scoped_rows(
        store, "schedules", workspace, where="next_run_at IS NULL OR next_run_at <= ?", params=[now],
        order_by="next_run_at NULLS FIRST, schedule_id",
    )  # fmt: skip
    ran = []
    for schedule in due:
        started = time.perf_counter()
        try:
            status = runner(store, settings, workspace, schedule, now)
        except MicroscoutError as exc:
            status = f"failed: {exc.message}"
        except Exception as exc:  # one broken job must not stop the others or the alerts
            logger.exception("schedule %s (%s) failed", schedule["schedule_id"], schedule["kind"])
            status = f"failed: {type(exc).__name__}: {exc}"
        status = _one_line(status)
        logger.info("schedule %s ran in %.1f s: %s", schedule["schedule_id"], time.perf_counter() - started, status)
        store.raw.execute(
            "UPDATE schedules SET last_run_at = ?, next_run_at = ?, last_status = ? "
            "WHERE workspace_id = ? AND schedule_id = ?",
            [
                now,
                _next_run(schedule["next_run_at"], int(schedule["every_minutes"]), now),
                status,
                workspace,
                schedule["schedule_id"],
            ],
        )
        ran.append({k: schedule[k] for k in ("schedule_id", "kind", "target")} | {"status": status})
    checked = check_alerts(store, workspace, now=now, sleep=sleep, transport=transport)
    return {"ran": ran, **checked}


def loop(
    settings: Settings,
    workspace: str,
    *,
    interval: float,
    sleep: Sleep = time.sleep,
    passes: int | None = None,
    on_pass: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Run :func:`run_due` every ``interval`` seconds (``passes`` times, default forever).

    The store is opened for each pass only, so other commands can use it in between. A pass that
    fails (the store is busy, say) is logged and the loop goes on; Ctrl-C stops it.
    """
    done = 0
    while passes is None or done < passes:
        try:
            with connect(settings.db, settings=settings) as store:
                result = run_due(store, settings, workspace, sleep=sleep)
            if on_pass:
                on_pass(result)
        except MicroscoutError as exc:
            logger.error("scheduler pass failed: %s", exc.message)
        done += 1
        if passes is None or done < passes:
            sleep(interval)
