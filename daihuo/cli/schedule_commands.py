"""CLI for scheduling: ``daihuo scheduler``, ``daihuo schedule ...``, ``daihuo runs ...`` and
``daihuo webhook ...`` (registered on the main group by daihuo.cli.main)."""

from __future__ import annotations

import signal
import sys
import time
from zoneinfo import ZoneInfo

import click

from daihuo.cli.context import cli_engine, cli_system, echo_json
from storage.schedule_models import DEFAULT_TZ

SHOW_TZ = ZoneInfo("Asia/Shanghai")


def _when(dt) -> str:  # noqa: ANN001
    return dt.astimezone(SHOW_TZ).strftime("%Y-%m-%d %H:%M") if dt else "-"


# -- the scheduler ---------------------------------------------------------------------------
@click.command(name="scheduler")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.5, 300),
              help="Seconds between checks for due schedules.")
@click.option("--once", is_flag=True, help="One pass (reap orphans, fire due schedules), then exit.")
def scheduler_cmd(interval: float, once: bool) -> None:
    """Run the scheduler: launches each due schedule's crawl as its own process.

    Missed fires (the scheduler was down) run once on start, not once per missed fire; runs
    of one source never overlap; crawls survive a restart of the scheduler; runs whose
    process died are marked failed and resumed once. `daihuo serve` runs it too.
    """
    from daihuo.runs.cron import Scheduler

    engine = cli_engine()
    sched = Scheduler(engine, db_url=cli_system().config.database_url)
    if once:
        res = sched.tick()
        if not res.active:
            raise click.ClickException("another scheduler is active (its lease is fresh)")
        click.echo(f"launched {len(res.launched)}, skipped {len(res.skipped)}, "
                   f"orphans {len(res.orphans)}, resumed {len(res.resumed)}")
        sched.release_lease()
        return

    def stop(*_: object) -> None:
        sched._stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"scheduler running (every {interval:g}s); Ctrl-C stops it, crawls keep running")
    sched.run(interval)


# -- schedules -------------------------------------------------------------------------------
@click.group(name="schedule")
def schedule() -> None:
    """Cron schedules per source (time zone Asia/Shanghai unless given)."""


@schedule.command(name="add")
@click.argument("source")
@click.argument("cron")
@click.option("--tz", "timezone", default=DEFAULT_TZ, show_default=True)
@click.option("--paused", is_flag=True, help="Add it paused.")
def schedule_add(source: str, cron: str, timezone: str, paused: bool) -> None:
    """Schedule SOURCE with a CRON expression, e.g. '*/30 8-22 * * *' (quote it)."""
    from daihuo.runs.cron import ScheduleError, add_schedule

    try:
        s = add_schedule(cli_engine(), source, cron, timezone, enabled=not paused, created_by="cli")
    except ScheduleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"schedule #{s.id}: {s.source} '{s.cron}' ({s.timezone}); next run {_when(s.next_run_at)}")


@schedule.command(name="list")
@click.option("--json", "as_json", is_flag=True)
def schedule_list(as_json: bool) -> None:
    """List schedules with their next run (China time)."""
    from daihuo.runs.cron import list_schedules

    for s in list_schedules(cli_engine()):
        if as_json:
            echo_json(s.as_dict())
            continue
        state = "" if s.enabled else "  (paused)"
        last = f"  last run #{s.last_run_id}" if s.last_run_id else ""
        click.echo(f"#{s.id:<4} {s.source:<20} {s.cron:<20} next {_when(s.next_run_at) if s.enabled else '-'}"
                   f"{last}{state}")
        if s.last_skip:
            click.echo(f"       {s.last_skip}")


@schedule.command(name="remove")
@click.argument("schedule_id", type=int)
def schedule_remove(schedule_id: int) -> None:
    """Remove a schedule."""
    from daihuo.runs.cron import remove_schedule

    if not remove_schedule(cli_engine(), schedule_id, actor="cli"):
        raise click.ClickException(f"no schedule #{schedule_id}")
    click.echo(f"removed schedule #{schedule_id}")


@schedule.command(name="pause")
@click.argument("schedule_id", type=int)
@click.option("--resume", "resume", is_flag=True, help="Resume it instead (counts from now).")
def schedule_pause(schedule_id: int, resume: bool) -> None:
    """Pause a schedule (or --resume it; fires missed while paused are not replayed)."""
    from daihuo.runs.cron import ScheduleError, update_schedule

    try:
        s = update_schedule(cli_engine(), schedule_id, enabled=resume, actor="cli")
    except ScheduleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"schedule #{s.id} {'resumed; next run ' + _when(s.next_run_at) if resume else 'paused'}")


@schedule.command(name="edit")
@click.argument("schedule_id", type=int)
@click.option("--cron")
@click.option("--tz", "timezone")
def schedule_edit(schedule_id: int, cron: str | None, timezone: str | None) -> None:
    """Change a schedule's expression or time zone."""
    from daihuo.runs.cron import ScheduleError, update_schedule

    try:
        s = update_schedule(cli_engine(), schedule_id, cron=cron, timezone=timezone, actor="cli")
    except ScheduleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"schedule #{s.id}: '{s.cron}' ({s.timezone}); next run {_when(s.next_run_at)}")


@schedule.command(name="next")
@click.argument("cron")
@click.option("--tz", "timezone", default=DEFAULT_TZ, show_default=True)
@click.option("-n", default=5, show_default=True, type=click.IntRange(1, 100))
def schedule_next(cron: str, timezone: str, n: int) -> None:
    """Show when CRON would fire next (to check an expression)."""
    from daihuo.runs.cron import ScheduleError, upcoming

    try:
        times = upcoming(cron, timezone, n=n)
    except ScheduleError as exc:
        raise click.ClickException(str(exc)) from None
    for t in times:
        click.echo(t.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %a"))


# -- runs ------------------------------------------------------------------------------------
@click.group(name="runs")
def runs_group() -> None:
    """Crawl runs: history, stats, logs; start, cancel, re-run, resume."""


def _summary_line(r: dict) -> str:
    s = r["summary"]
    dur = f"{r['duration_seconds']:.0f}s" if r["duration_seconds"] is not None else "-"
    q = {"passed": "ok", "failed": "QUALITY FAILED"}.get(r["quality"], "")
    return (f"#{r['id']:<5} {(r['source'] or ','.join(r['sources'])):<20} {r['trigger']:<9} "
            f"{r['status']:<9} {_when(r['started_at'])} {dur:>6}  req {s['requests']} "
            f"stored {s['stored']} upd {s['updated']} drop {s['dropped']} err {s['errors']} {q}")


@runs_group.command(name="list")
@click.option("--source")
@click.option("--status", type=click.Choice(["running", "finished", "finished_with_errors", "failed", "cancelled"]))
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True)
def runs_list(source: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """Recent runs, newest first (runs whose process died are marked failed first)."""
    from daihuo.runs.crawling import catch_up
    from daihuo.runs.lifecycle import list_runs

    engine = cli_engine()
    catch_up(cli_system())
    for r in list_runs(engine, source=source, status=status, limit=limit):
        echo_json(r) if as_json else click.echo(_summary_line(r))


@runs_group.command(name="show")
@click.argument("run_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def runs_show(run_id: int, as_json: bool) -> None:
    """One run: status, stats, quality checks."""
    from daihuo.runs.lifecycle import get_run

    r = get_run(cli_engine(), run_id)
    if r is None:
        raise click.ClickException(f"no run #{run_id}")
    if as_json:
        echo_json(r)
        return
    click.echo(_summary_line(r))
    s = r["summary"]
    for key in ("responses_by_status", "dropped_by_reason", "failed_by_stage", "incremental", "exceptions"):
        if s[key]:
            click.echo(f"  {key.replace('_', ' ')}: " + ", ".join(f"{k} {v}" for k, v in s[key].items()))
    if r["error"]:
        click.echo(f"  error: {r['error']}")
    for c in r.get("quality_report", {}).get("checks", []):
        click.echo(f"  check {c['name']}: {'ok' if c['ok'] else 'FAILED'} — {c['detail']}")
    if r.get("log_path"):
        click.echo(f"  log: {r['log_path']}")


@runs_group.command(name="start")
@click.argument("source")
def runs_start(source: str) -> None:
    """Start a run of a stored SOURCE now, as its own process."""
    from daihuo.runs.lifecycle import RunError, launch_run

    try:
        run_id = launch_run(cli_engine(), source, "manual", db_url=cli_system().config.database_url)
    except RunError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"started run #{run_id}; follow it with: daihuo runs log {run_id} --follow")


@runs_group.command(name="cancel")
@click.argument("run_id", type=int)
@click.option("--grace", default=15.0, show_default=True, help="Seconds between SIGTERM and SIGKILL.")
def runs_cancel(run_id: int, grace: float) -> None:
    """Cancel a running run (graceful stop, killed after --grace seconds)."""
    from daihuo.runs.lifecycle import RunError, cancel_run

    try:
        click.echo(f"run #{run_id}: {cancel_run(cli_engine(), run_id, grace=grace)}")
    except RunError as exc:
        raise click.ClickException(str(exc)) from None


@runs_group.command(name="rerun")
@click.argument("run_id", type=int)
def runs_rerun(run_id: int) -> None:
    """Crawl a run's source again."""
    from daihuo.runs.lifecycle import RunError, rerun

    try:
        click.echo(f"started run #{rerun(cli_engine(), run_id, db_url=cli_system().config.database_url)}")
    except RunError as exc:
        raise click.ClickException(str(exc)) from None


@runs_group.command(name="resume")
@click.argument("run_id", type=int)
def runs_resume(run_id: int) -> None:
    """Resume a failed or cancelled run: skips every article it stored."""
    from daihuo.runs.lifecycle import RunError, resume_run

    try:
        click.echo(f"started run #{resume_run(cli_engine(), run_id, db_url=cli_system().config.database_url)}")
    except RunError as exc:
        raise click.ClickException(str(exc)) from None


@runs_group.command(name="log")
@click.argument("run_id", type=int)
@click.option("-f", "--follow", is_flag=True, help="Keep printing until the run ends.")
@click.option("--tail", default=65536, show_default=True, help="Bytes from the end.")
def runs_log(run_id: int, follow: bool, tail: int) -> None:
    """Print a run's log."""
    from daihuo.runs.lifecycle import RunError, get_run, read_log

    engine = cli_engine()
    try:
        text = read_log(engine, run_id, tail=tail)
    except RunError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(text, nl=False)
    path = (get_run(engine, run_id) or {}).get("log_path")
    if not follow or not path:
        return
    with open(path, "rb") as f:
        f.seek(0, 2)
        while True:
            chunk = f.read()
            if chunk:
                sys.stdout.write(chunk.decode("utf-8", "replace"))
                sys.stdout.flush()
            elif get_run(engine, run_id)["status"] != "running":
                break
            else:
                time.sleep(0.5)


# -- webhooks --------------------------------------------------------------------------------
@click.group(name="webhook")
def webhook() -> None:
    """Webhooks told when a run fails or fails its quality checks."""


@webhook.command(name="add")
@click.argument("name")
@click.argument("url")
@click.option("--kind", type=click.Choice(["json", "wecom", "dingtalk", "feishu"]), default="json",
              show_default=True)
@click.option("--secret-stdin", is_flag=True, help="Read a DingTalk/Feishu signing secret from stdin.")
def webhook_add(name: str, url: str, kind: str, secret_stdin: bool) -> None:
    """Add a webhook (generic JSON, or a WeCom / DingTalk / Feishu group robot URL)."""
    from daihuo.runs.webhooks import WebhookError, add_webhook

    secret = sys.stdin.readline().strip() if secret_stdin else None
    try:
        w = add_webhook(cli_engine(), name, url, kind, secret, actor="cli")
    except WebhookError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"webhook #{w.id} {w.name} ({w.kind})")


@webhook.command(name="list")
def webhook_list() -> None:
    """List the webhooks told about failed quality checks (URLs shortened: they hold tokens)."""
    from daihuo.runs.webhooks import list_webhooks, masked_url

    for w in list_webhooks(cli_engine()):
        state = "" if w.enabled else " (disabled)"
        click.echo(f"#{w.id:<4} {w.name:<16} {w.kind:<9} {masked_url(w.url)}{state}  {w.last_status or ''}")


def _hook(ref: str):  # noqa: ANN202
    """The webhook named or numbered ``ref``, or a one-line error."""
    from daihuo.runs.webhooks import WebhookError, find_webhook

    try:
        return find_webhook(cli_engine(), ref)
    except WebhookError as exc:
        raise click.ClickException(str(exc)) from None


@webhook.command(name="remove")
@click.argument("ref", metavar="NAME_OR_ID")
def webhook_remove(ref: str) -> None:
    """Remove a webhook."""
    from daihuo.runs.webhooks import remove_webhook

    hook = _hook(ref)
    remove_webhook(cli_engine(), hook.id, actor="cli")
    click.echo(f"removed webhook #{hook.id} {hook.name}")


@webhook.command(name="test")
@click.argument("ref", metavar="NAME_OR_ID")
def webhook_test(ref: str) -> None:
    """Send a test message (recorded in the delivery history)."""
    from daihuo.runs.webhooks import send_test

    hook = _hook(ref)
    result = send_test(cli_engine(), hook.id)
    click.echo(f"webhook #{hook.id} {hook.name}: {result}")
    if result != "ok":
        raise SystemExit(1)


@webhook.command(name="enable")
@click.argument("ref", metavar="NAME_OR_ID")
def webhook_enable(ref: str) -> None:
    """Send alerts to this webhook again."""
    from daihuo.runs.webhooks import update_webhook

    hook = update_webhook(cli_engine(), _hook(ref).id, enabled=True, actor="cli")
    click.echo(f"webhook #{hook.id} {hook.name} enabled")


@webhook.command(name="disable")
@click.argument("ref", metavar="NAME_OR_ID")
def webhook_disable(ref: str) -> None:
    """Stop sending alerts to this webhook (kept, with its history)."""
    from daihuo.runs.webhooks import update_webhook

    hook = update_webhook(cli_engine(), _hook(ref).id, enabled=False, actor="cli")
    click.echo(f"webhook #{hook.id} {hook.name} disabled")


@webhook.command(name="history")
@click.argument("ref", metavar="NAME_OR_ID")
@click.option("-n", "limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def webhook_history(ref: str, limit: int) -> None:
    """The latest deliveries to a webhook and how they went."""
    from daihuo.runs.webhooks import deliveries

    hook = _hook(ref)
    for d in deliveries(cli_engine(), hook.id, limit):
        run = f" run #{d['run_id']}" if d["run_id"] else ""
        click.echo(f"{_when(d['at'])}  {d['event']:<15}{run}  {d['result']}")


COMMANDS = (scheduler_cmd, schedule, runs_group, webhook)


def register(main: click.Group) -> None:
    """Add the scheduling commands to the ``daihuo`` group."""
    for command in COMMANDS:
        main.add_command(command)
