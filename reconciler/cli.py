"""The `clickmeter-reconciler` command line.

Commands stay thin: they parse options, call one stage after another and turn
`ReconcilerError` into one line on stderr and exit status 1 (exit codes follow
Terraform: 0 success or no changes, 2 changes present with
`--detailed-exitcode`, 1 any error, refusal or partial failure).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import click

from reconciler import __version__
from reconciler.errors import ReconcilerError
from reconciler.render import PLAN_FORMATS
from reconciler.target import TargetOptions
from reconciler.terminal import MAX_LINE, clipped

ALL_ACTIVE = "*"  # `--allow-active` given without a name
ALL_THRESHOLDS = "*"  # `--force` given without a threshold
THRESHOLDS = ("max_delete_percent", "max_update_percent")


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a `ReconcilerError` (or Ctrl-C) into one line on stderr and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ReconcilerError as error:
            click.echo("error: " + "\n".join(clipped(line, MAX_LINE) for line in error.lines()), err=True)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(1)
        except OSError as error:  # the terminal or a pipe failed under the command
            _output_failed(error)

    return wrapper


def pass_target(command: Callable[..., Any]) -> Callable[..., Any]:
    """`@click.pass_obj` for the commands that talk to a target: `--target` and `--local-db`
    are accepted after the command name too (`plan . --target local`), and win there."""

    @click.option("--target", "target_here", default=None, metavar="local|URL",
                  help="As the global --target, given after the command name.")
    @click.option("--local-db", "local_db_here", default=None, type=click.Path(dir_okay=False),
                  help="As the global --local-db, given after the command name.")
    @click.pass_obj
    @functools.wraps(command)
    def wrapper(options: TargetOptions, /, *args: Any, target_here: str | None, local_db_here: str | None,
                **kwargs: Any) -> Any:
        options = dataclasses.replace(options, target=target_here or options.target,
                                      local_db=local_db_here or options.local_db)
        return command(options, *args, **kwargs)

    return wrapper


def _output_failed(error: OSError) -> None:
    """One line on stderr if it still takes one, then exit 1 without Python's own complaint
    about the broken stream at exit."""
    with contextlib.suppress(OSError):
        click.echo(f"error: cannot write the output: {error.strerror or error}", err=True)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    sys.exit(1)


class ReconcilerGroup(click.Group):
    """Click's group, except that a usage error exits 1, not 2.

    Exit status 2 means "changes present" (`plan --detailed-exitcode`): a CI
    job must never read a mistyped option or a missing path as drift.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _usage_errors_exit_1():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _usage_errors_exit_1():
            return super().invoke(ctx)


@contextlib.contextmanager
def _usage_errors_exit_1() -> Iterator[None]:
    try:
        yield
    except click.UsageError as error:
        error.exit_code = 1  # type: ignore[misc]  # click's stubs make it a ClassVar; click reads it per instance
        raise


@click.group(cls=ReconcilerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clickmeter-reconciler")
@click.option("--target", envvar="CLICKMETER_TARGET", show_envvar=True, default="local", show_default=True,
              help="'local' (the embedded SQLite account) or the API's base URL, whose key is read "
                   "from CLICKMETER_API_KEY.")
@click.option("--local-db", default=".clickmeter/local.db", show_default=True,
              type=click.Path(dir_okay=False), help="The SQLite file of the local target.")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Requests per second (default 10 for a URL target, unlimited for local).")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True,
              help="Requests in flight at once.")
@click.pass_context
def cli(ctx: click.Context, target: str, local_db: str, rate: float | None, concurrency: int) -> None:
    """ClickMeter tracking links, pixels, tags, groups and conversions managed as code."""
    ctx.obj = TargetOptions(target=target, local_db=local_db, rate=rate, concurrency=concurrency)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="clickmeter-reconciler")


# ---- validate ----


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@reports_errors
def validate(paths: tuple[str, ...]) -> None:
    """Check the manifests under PATHS offline: YAML, schema, names, references, limits.

    Prints a one-line summary and exits 0 when they are valid; otherwise prints
    every problem as `path:line:col: field: message` and exits 1. Needs no
    account, network or password.
    """
    from reconciler.manifests import ManifestError, expiry_warnings, load_manifests, weight_notes

    try:
        desired = load_manifests(paths)
    except ManifestError as error:
        for line in error.shown_lines():
            click.echo(line, err=True)
        click.echo(f"invalid: {_counted(len(error.problems), 'problem')}", err=True)
        sys.exit(error.exit_code)
    for note in weight_notes(desired):
        click.echo(f"note: {note}")
    for warning in expiry_warnings(desired, datetime.now()):
        click.echo(f"warning: {warning}", err=True)
    pixels = sum(spec.type == "pixel" for spec in desired.datapoints.values())
    click.echo(f"valid: {_counted(len(desired.datapoints), 'datapoint')} "
               f"({_counted(len(desired.datapoints) - pixels, 'link')}, {_counted(pixels, 'pixel')}), "
               f"{_counted(len(desired.groups), 'group')}, {_counted(len(desired.conversions), 'conversion')}, "
               f"{_counted(len(desired.tags), 'tag')} in {_counted(len(desired.files), 'file')}")


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# ---- plan ----


@cli.command("plan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", type=click.Path(dir_okay=False), help="Write the saved plan (JSON) for `apply --plan`.")
@click.option("--format", "output_format", type=click.Choice(PLAN_FORMATS), default="text", show_default=True,
              help="text for people, json (schemas/plan.schema.json) for tools, markdown for pull requests.")
@click.option("--out-full", type=click.Path(dir_okay=False),
              help="Also write the whole plan in --format to FILE: a Markdown plan printed is cut to fit one "
              "GitHub comment, this one never is (upload it as the artifact the comment points to).")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none.")
@pass_target
@reports_errors
def plan_command(options: TargetOptions, paths: tuple[str, ...], out: str | None, output_format: str,
                 out_full: str | None, detailed_exitcode: bool) -> None:
    """Show what apply would change to make the target match the manifests under PATHS."""

    from reconciler.plan.run import build_plan
    from reconciler.plan.saved import write_plan, write_plan_text
    from reconciler.render import plan_renderer
    from reconciler.target import saved_target

    plan = build_plan(options, paths)
    if out:
        write_plan(dataclasses.replace(plan, target=saved_target(options)), out)
    if out_full:
        write_plan_text(plan_renderer(output_format, whole=True).render(plan), out_full, "--out-full")
    color = output_format == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    click.echo(plan_renderer(output_format, color=color).render(plan), nl=False, color=color)
    if detailed_exitcode and plan.has_changes:
        sys.exit(2)


# ---- apply ----


@cli.command("apply")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False),
              help="Execute exactly this saved plan (from `plan --out`); refused when stale.")
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--force", "force", multiple=True, is_flag=False, flag_value=ALL_THRESHOLDS, metavar="[THRESHOLD]",
              help="Apply beyond the delete/update thresholds; with max_delete_percent or max_update_percent "
                   "(repeatable), beyond only that one.")
@click.option("--allow-active", "allow_active", multiple=True, is_flag=False, flag_value=ALL_ACTIVE,
              metavar="[NAME]", help="Delete, rename or re-point links that had recent clicks: alone, all of "
              "them; with a NAME (repeatable), only that link.")
@click.option("--log", "log_file", type=click.Path(dir_okay=False),
              help="Write one JSON line per API call (operation, items, status, duration).")
@pass_target
@reports_errors
def apply_command(options: TargetOptions, paths: tuple[str, ...], plan_file: str | None, auto_approve: bool,
                  force: tuple[str, ...], allow_active: tuple[str, ...], log_file: str | None) -> None:
    """Make the target match the manifests under PATHS (or execute a saved --plan), then verify."""

    from reconciler.apply.run import check_secrets, check_target, report_lines, run_apply
    from reconciler.plan.run import build_plan
    from reconciler.plan.saved import read_plan
    from reconciler.render import PlanText

    if bool(paths) == bool(plan_file):
        raise click.UsageError("give manifest PATHS or --plan FILE (one of the two)")
    if plan_file:
        plan = read_plan(plan_file)
        check_target(plan, options)
        check_secrets(plan)
    else:
        plan = build_plan(options, paths, keep_fetched=True)
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    click.echo(PlanText(color=color).render(plan), nl=False, color=color)
    allowed = True if ALL_ACTIVE in allow_active else frozenset(allow_active)
    unknown = set(force) - {ALL_THRESHOLDS, *THRESHOLDS}
    if unknown:
        raise click.UsageError(f"--force {sorted(unknown)[0]}: expected {' or '.join(THRESHOLDS)} (or no value)")
    forced = True if ALL_THRESHOLDS in force else frozenset(force)
    refusals = plan.refusals(force=forced, allow_active=allowed)
    if refusals:
        raise ReconcilerError("apply refused: " + "; ".join(refusals))
    if not plan.operations:
        click.echo("Nothing to apply.")
        return
    if not plan_file and not auto_approve:
        if not sys.stdin.isatty():
            raise ReconcilerError("apply needs a confirmation: run it on a terminal, or pass --auto-approve")
        if click.prompt("Apply these changes? Only 'yes' is accepted", default="", show_default=False) != "yes":
            raise ReconcilerError("apply cancelled")
    outcome = run_apply(options, plan, saved=bool(plan_file), log_path=log_file)
    click.echo("\n".join(clipped(line, MAX_LINE) for line in report_lines(plan, outcome)))
    if not outcome.succeeded:
        sys.exit(1)


# ---- export ----


@cli.command("export")
@click.option("--out", "out_dir", required=True, type=click.Path(),
              help="The directory to write the manifests to (must be empty unless --force).")
@click.option("--group", "groups", multiple=True, metavar="NAME",
              help="Export only this live group (repeatable); default: the whole account.")
@click.option("--force", is_flag=True, help="Write into a non-empty directory, replacing files of the same name.")
@pass_target
@reports_errors
def export_command(options: TargetOptions, out_dir: str, groups: tuple[str, ...], force: bool) -> None:
    """Write the live account as manifests that plan back to no changes."""
    from reconciler.export.run import export_account
    from reconciler.target import describe_target

    click.echo(describe_target(options))
    lines, warnings = export_account(options, out_dir, groups, force)
    click.echo("\n".join(clipped(line, MAX_LINE) for line in lines))
    if warnings:
        click.echo("\n".join(clipped(line, MAX_LINE) for line in warnings), err=True)


# ---- show ----


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text", show_default=True)
@pass_target
@reports_errors
def show(options: TargetOptions, paths: tuple[str, ...], output_format: str) -> None:
    """The declared datapoints: short URL (links) or snippet (pixels), status, recent clicks."""
    import asyncio

    from reconciler.manifests import load_manifests
    from reconciler.show import collect_shown, shown_json, shown_text
    from reconciler.target import describe_target, open_client, tracking_base

    desired = load_manifests(paths)

    async def collect() -> str:
        async with open_client(options) as client:
            rows = await collect_shown(client, desired, tracking_base(options))
        return shown_json(rows) if output_format == "json" else shown_text(rows)

    text = asyncio.run(collect())
    if output_format == "text":
        click.echo(describe_target(options))
    click.echo(text, nl=False)


# ---- stats ----


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--timeframe", metavar="NAME",
              help="today, yesterday, last7, last30 (default), last90, ..., beginning, or custom.")
@click.option("--from", "from_day", metavar="DAY", help="First day of a custom timeframe (YYYYMMDD or YYYY-MM-DD).")
@click.option("--to", "to_day", metavar="DAY", help="Last day of a custom timeframe (YYYYMMDD or YYYY-MM-DD).")
@click.option("--group", metavar="NAME", help="Only the datapoints declared in this group.")
@click.option("--format", "output_format", default="table", show_default=True, metavar="FORMAT",
              help="table, csv, json, or a whole report: html (one self-contained page) or "
                   "markdown (a GitHub comment).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the output to FILE, not stdout.")
@click.option("--sort", metavar="KEY", help="clicks (default), uniques, conversions or name.")
@click.option("--by", metavar="PERIOD", help="A time series by day, week or month.")
@click.option("--stale", metavar="DAYS",
              help="Declared datapoints with no clicks or views for DAYS days (reports: default 30).")
@click.option("--hits", metavar="NAME", help="The latest events of one declared datapoint.")
@click.option("--filter", "hit_filter", metavar="KIND",
              help="With --hits: spiders, uniques, nonuniques or conversions.")
@click.option("--limit", metavar="N", help="With --hits: how many events (default 50).")
@click.option("--report", metavar="NAME", help="A top report of one declared datapoint.")
@click.option("--type", "report_type", metavar="TYPE",
              help="With --report: browsers, countries, referrers, platforms, languages, ...")
@pass_target
@reports_errors
def stats(options: TargetOptions, paths: tuple[str, ...], out: str | None, **chosen: Any) -> None:
    """How the declared datapoints perform: clicks, uniques, conversions, last hit."""
    import asyncio

    from reconciler.manifests import load_manifests
    from reconciler.stats.options import parse_request
    from reconciler.stats.run import collect_text, write_output
    from reconciler.target import describe_target, open_client

    request = parse_request(**chosen)
    target = describe_target(options)
    desired = load_manifests(paths)

    async def collect() -> str:
        async with open_client(options) as client:
            return await collect_text(client, desired, request, target, datetime.now(UTC).date(),
                                      bars=sys.stdout.isatty() and not out)

    text = asyncio.run(collect())
    if out:
        write_output(text, out)
        click.echo(f"wrote {out} ({len(text.encode()):,} bytes)")
    else:
        click.echo(text, nl=False)


# ---- serve ----
@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
              help="The SQLite file to serve (default: the global --local-db).")
@click.option("--api-key", "api_keys", multiple=True,
              help="Register this key as an account (repeatable). Without any, the file's "
                   "first account is used (created if none) and its key printed.")
@click.option("--rate", "server_rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Throttle each key to this many requests per second (429 + Retry-After); "
                   "the global --rate paces the client instead.")
@click.option("--latency-ms", type=click.IntRange(min=0), default=0, show_default=True,
              help="Delay every API answer by this much.")
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of API requests that fail (5xx or a dropped connection).")
@click.option("--fault-seed", type=int, default=None,
              help="Seed of the fault draws, for a repeatable run.")
@click.option("--seed", "click_seed", type=int, default=None,
              help="Seed of the links' random destinations (rotate), for a repeatable run: "
                   "the n-th click on a link always goes to the same url.")
@click.option("--no-expand", is_flag=True,
              help="Ignore _expand=true: lists answer {id, uri} only (whether the live service "
                   "expands every list is unknown).")
@click.option("--updates", type=click.Choice(["replace", "merge"]), default="replace",
              show_default=True,
              help="What an update does with the writable fields its body leaves out: reset them "
                   "to their defaults (replace) or keep them (merge). Tags never change on update.")
@click.option("--text-enums", type=click.Choice(["accept", "reject"]), default="reject",
              show_default=True,
              help='Whether requests may give enums as text ("TrackingLink", "Active", '
                   '"PermanentRedirect", "Https") beside the numbers; reject answers 400 naming '
                   "the property.")
@click.option("--counts", type=click.Choice(["with-deleted", "without-deleted"]),
              default="with-deleted", show_default=True,
              help="Whether the /count endpoints count deleted entities when no status is asked.")
@click.option("--update-slots", type=click.Choice(["ignore", "honour"]), default="ignore", show_default=True,
              help="Whether an update writes the conversion slots its body carries (else only the "
                   "conversion patches change them).")
@click.pass_obj
@reports_errors
def serve(options: TargetOptions, host: str, port: int, db_path: str | None,
          api_keys: tuple[str, ...], server_rate: float | None, latency_ms: int,
          fault_rate: float, fault_seed: int | None, click_seed: int | None, no_expand: bool,
          updates: str, text_enums: str, counts: str, update_slots: str) -> None:
    """Serve the local ClickMeter-compatible API over HTTP until interrupted.

    Answers are shaped as the recorded live service's; the last five options
    choose how the server behaves where the live service's behaviour is unknown.
    """
    from reconciler.server.serving import serve_http
    from reconciler.server.variant import ServiceVariant

    variant = ServiceVariant(expand=not no_expand, updates="merge" if updates == "merge" else "replace",
                             text_enums=text_enums == "accept",
                             counts_deleted=counts == "with-deleted", update_slots=update_slots == "honour")
    serve_http(db_path or options.local_db, host=host, port=port, api_keys=api_keys,
               rate=server_rate, latency_ms=latency_ms, fault_rate=fault_rate,
               fault_seed=fault_seed, variant=variant, echo=click.echo, click_seed=click_seed)
