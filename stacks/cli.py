"""The `python -m stacks` commands: new, export, list, validate, preview, up, status, diff-report, affected,
show."""

from __future__ import annotations

import contextlib
import json
import shlex
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml

from providers.confd.settings import Settings
from providers.model import ConfigError, StackConfig, load_stack_config
from stacks import affected as affected_module
from stacks import connection, fleet, report, scaffold, toolchain
from stacks.stackfile import (
    STACK_NAME,
    StackRef,
    check_fleet,
    discover,
    read_stack_file,
    secret_config_keys,
    select,
    stack_file_name,
)

DEFAULT_ROOT = Path(__file__).resolve().parent.parent
OperationFactory = Callable[[fleet.Kind, Path], fleet.StackOperation]


@dataclass
class Context:
    """What every command needs: the project directory, and the seams tests replace."""

    root: Path
    operation_factory: OperationFactory = field(default=fleet.automation_operation)
    which: Callable[[str], str | None] = field(default=toolchain.which)
    ensure_cli: Callable[[Callable[[str], None]], Path] = field(
        default=lambda echo: toolchain.ensure(echo=echo)
    )
    interactive: bool = field(default_factory=lambda: sys.stdin.isatty())
    config_reader: Callable[[Path], connection.ConfigReader] = field(default=connection.pulumi_config)
    passwords: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def stacks_dir(self) -> Path:
        """`stackConfigDir` of Pulumi.yaml (stacks/ here), else the project directory."""
        project = self.root / "Pulumi.yaml"
        if project.is_file():
            settings = yaml.safe_load(project.read_text(encoding="utf-8")) or {}
            if isinstance(settings, dict) and settings.get("stackConfigDir"):
                return self.root / str(settings["stackConfigDir"])
        return self.root

    def stacks(self) -> list[StackRef]:
        directory = self.stacks_dir
        return discover(directory) if directory.is_dir() else []


pass_context = click.make_pass_decorator(Context)


def _default_root() -> Path:
    cwd = Path.cwd()
    return cwd if (cwd / "Pulumi.yaml").is_file() else DEFAULT_ROOT


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Pulumi project directory (holds Pulumi.yaml). Default: the current directory if it has one, "
    "else this repository.",
)
@click.pass_context
def cli(ctx: click.Context, root: Path | None) -> None:
    """Manage the wazo-voip stacks: one per tenant and environment, in stacks/Pulumi.<tenant>-<env>.yaml."""
    given = ctx.obj if isinstance(ctx.obj, dict) else {}
    ctx.obj = Context(root=(root or given.get("root") or _default_root()).resolve())
    for name in ("operation_factory", "which", "ensure_cli", "interactive", "config_reader"):
        if name in given:
            setattr(ctx.obj, name, given[name])


# --- new -----------------------------------------------------------------------------------------------


def _ask(state: Context, value: Any, flag: str, prompt: str, missing: list[str], **kwargs: Any) -> Any:
    if value not in (None, ""):
        return value
    if state.interactive:
        return click.prompt(prompt, **kwargs)
    if "default" in kwargs:
        return None
    missing.append(flag)
    return None


@cli.command("new")
@click.option("--tenant", help="tenant short name, used in the stack name (e.g. acme)")
@click.option("--env", "env", help="environment (e.g. dev, prod)")
@click.option("--url", help="base URL of the Wazo, e.g. https://wazo.example.com")
@click.option("--tenant-uuid", help="UUID of the Wazo tenant (wazo-voip:tenant)")
@click.option("--username", help="wazo-auth user of the stack (optional: WAZO_USERNAME otherwise)")
@click.option(
    "--provider-name", help="the provider's SIP endpoint name, unique on the Wazo (e.g. acme-voipco)"
)
@click.option("--provider-label", help="a label for the provider")
@click.option("--provider-username", help="account name at the provider")
@click.option("--provider-host", help="the provider's SIP server, hostname or IP")
@click.option("--provider-port", type=int, help="SIP port when not 5060")
@click.option("--transport", help="Wazo SIP transport name (default transport-udp)")
@click.option("--outcall", help="outcall name for outgoing calls (needs --pattern)")
@click.option(
    "--pattern", "patterns", multiple=True, help="dial pattern EXTEN[:STRIP], e.g. _0XXXXXXXXX:1; repeatable"
)
@click.option(
    "--did",
    "dids",
    multiple=True,
    help="incoming number NUMBER=DESTINATION, e.g. +15551234567=user:alice@acme.example, "
    "+15551234568=hangup:cause=busy; repeatable",
)
@click.option("--force", is_flag=True, help="overwrite an existing stack file")
@pass_context
def new_command(state: Context, /, **options: Any) -> None:
    """Create stacks/Pulumi.<tenant>-<env>.yaml from flags, or prompts when run in a terminal.

    The answers are validated with the stack models before anything is written. Secrets never
    go into the file: with the Pulumi CLI on PATH they are stored with `pulumi config set --secret`
    (the value on stdin), otherwise the exact commands to run are printed. They never come from the
    command line either, where `ps` and shell history see them: the wazo-auth password from
    WAZO_PASSWORD, the provider's from WAZO_PROVIDER_PASSWORD, or a prompt without echo.
    """
    import os

    missing: list[str] = []
    o = options
    tenant = _ask(state, o["tenant"], "--tenant", "Tenant short name (e.g. acme)", missing)
    env = _ask(state, o["env"], "--env", "Environment (e.g. dev)", missing)
    url = _ask(state, o["url"], "--url", "Wazo URL", missing)
    tenant_uuid = _ask(state, o["tenant_uuid"], "--tenant-uuid", "Tenant UUID", missing)
    username = _ask(
        state, o["username"], "--username", "wazo-auth username (empty: WAZO_USERNAME)", missing, default=""
    )
    password = os.environ.get("WAZO_PASSWORD") or None
    if username and not password and state.interactive:
        password = click.prompt(
            "wazo-auth password (empty: set it later)", default="", hide_input=True, show_default=False
        )
    provider_name = _ask(state, o["provider_name"], "--provider-name", "Provider SIP endpoint name", missing)
    provider_username = _ask(
        state, o["provider_username"], "--provider-username", "Provider account name", missing
    )
    provider_password = os.environ.get("WAZO_PROVIDER_PASSWORD") or None
    if not provider_password and state.interactive:
        provider_password = click.prompt(
            "Provider account password (empty: set it later)", default="", hide_input=True, show_default=False
        )
    provider_host = _ask(state, o["provider_host"], "--provider-host", "Provider SIP host", missing)
    outcall, patterns, dids = o["outcall"], list(o["patterns"]), list(o["dids"])
    if state.interactive and not (outcall or patterns or dids):
        outcall = click.prompt(
            "Outcall name for outgoing calls (empty: none)", default="", show_default=False
        )
        if outcall:
            patterns = click.prompt("Dial patterns EXTEN[:STRIP], comma-separated", default="").split(",")
        did_text = click.prompt("Incoming NUMBER=DESTINATION, comma-separated (empty: none)", default="")
        dids = [d for d in did_text.split(",") if d.strip()]
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)} (or run in a terminal to be asked)")
    spec = scaffold.NewStack(
        tenant=tenant,
        env=env,
        url=url,
        tenant_uuid=tenant_uuid,
        username=username or None,
        password=password or None,
        provider_name=provider_name,
        provider_label=o["provider_label"],
        provider_username=provider_username,
        provider_password=provider_password or None,
        provider_host=provider_host,
        provider_port=o["provider_port"],
        transport=o["transport"],
        outcall=outcall or None,
        patterns=[p.strip() for p in patterns if p.strip()],
        dids=[d.strip() for d in dids if d.strip()],
    )
    try:
        values = scaffold.check(spec)
    except scaffold.ScaffoldError as error:
        raise click.ClickException(f"the stack is not valid, nothing written:\n{error}") from None
    path = state.stacks_dir / spec.file_name
    if path.exists() and not o["force"]:
        raise click.ClickException(f"{path} already exists: pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scaffold.render(spec, values), encoding="utf-8")
    click.echo(f"wrote {path} (stack {spec.stack}, validated)")
    plan = scaffold.store_secrets(spec, state.root, state.which("pulumi"))
    _report_secrets(state, plan, "each one prompts for its value")


def _report_secrets(state: Context, plan: scaffold.SecretPlan, prompt: str) -> None:
    """What storing the secrets did, the commands left to run (never a value), exit 1 on failure."""
    for command in plan.ran:
        click.echo(f"ran: {shlex.join(command)}")
    if plan.failure:
        click.echo(f"error: {plan.failure}", err=True)
    if plan.to_run:
        reason = "" if state.which("pulumi") else " (the Pulumi CLI is not on PATH)"
        click.echo(f"\nStore the secrets with these commands, from {state.root}{reason}; {prompt}:")
        for command in plan.to_run:
            click.echo(f"  {shlex.join(command)}")
    if plan.failure:
        sys.exit(1)


# --- list ----------------------------------------------------------------------------------------------


def _describe_stack(ref: StackRef) -> dict[str, Any]:
    stack = read_stack_file(ref)
    values = stack.values
    providers = []
    for provider in values.get("providers") or []:
        if not isinstance(provider, dict):
            continue
        outgoing = provider.get("outgoing") if isinstance(provider.get("outgoing"), dict) else {}
        providers.append(
            {
                "name": provider.get("name"),
                "label": provider.get("label"),
                "host": provider.get("host"),
                "outcall": (outgoing or {}).get("outcall"),
                "dids": [d.get("did") for d in provider.get("incoming") or [] if isinstance(d, dict)],
            }
        )
    return {
        "stack": ref.name,
        "file": str(ref.path),
        "tenant": ref.tenant,
        "env": ref.env,
        "url": values.get("url"),
        "tenant_uuid": values.get("tenant"),
        "providers": providers,
        "readable": stack.readable,
    }


@cli.command("list")
@click.argument("patterns", nargs=-1)
@click.option("--env", help="only the stacks of this environment")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--names", is_flag=True, help="only the stack names, one per line")
@pass_context
def list_command(
    state: Context, patterns: Sequence[str], env: str | None, as_json: bool, names: bool
) -> None:
    """List the stacks (all, or those matching glob PATTERNS such as 'acme-*').

    Shows each stack's tenant, environment, Wazo URL, and the providers and DIDs it declares.
    """
    refs = select(state.stacks(), patterns, env)
    if names:
        for ref in refs:
            click.echo(ref.name)
        return
    rows = [_describe_stack(ref) for ref in refs]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"no stack in {state.stacks_dir}")
        return
    for row in rows:
        click.echo(f"{row['stack']}  tenant {row['tenant'] or '?'}, env {row['env'] or '?'}")
        if not row["readable"]:
            click.echo("  (unreadable: run `python -m stacks validate`)")
            continue
        click.echo(f"  url:    {row['url'] or '(not set)'}")
        click.echo(f"  tenant: {row['tenant_uuid'] or '(not set)'}")
        for provider in row["providers"]:
            label = f" ({provider['label']})" if provider["label"] else ""
            click.echo(f"  provider {provider['name']}{label} at {provider['host']}")
            if provider["outcall"]:
                click.echo(f"    outcall: {provider['outcall']}")
            click.echo(f"    DIDs:    {', '.join(map(str, provider['dids'])) or '(none)'}")


# --- validate ------------------------------------------------------------------------------------------


@cli.command("validate")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--require-secrets",
    is_flag=True,
    help="a provider password that is not set is an error, not a warning (use before deploying)",
)
@pass_context
def validate_command(state: Context, files: Sequence[Path], require_secrets: bool) -> None:
    """Check every stack file offline (or only FILES): no credentials, no network, nothing decrypted.

    Prints one line per problem, naming the file and the key, and exits 1 on any error.
    """
    refs = [StackRef.from_path(p) for p in files] if files else state.stacks()
    result = check_fleet(refs, require_secrets)
    for finding in result.findings:
        click.echo(str(finding), err=finding.severity == "error")
    errors = len(result.errors)
    warnings = len(result.findings) - errors
    plural = "s" if len(refs) != 1 else ""
    summary = f"{len(refs)} stack file{plural} checked: {errors} error(s), {warnings} warning(s)"
    if errors:
        click.echo(summary, err=True)
        sys.exit(1)
    click.echo(summary)


# --- preview and up ------------------------------------------------------------------------------------


class LineProgress:
    """One line per stack event, safe from worker threads; fine in a terminal and in CI logs."""

    def __init__(self, kind: str, total: int) -> None:
        self.kind = kind
        self.total = total
        self.lock = threading.Lock()
        self.start = time.monotonic()

    def started(self, stack: str) -> None:
        with self.lock:
            click.echo(f"[{self._elapsed()}] {stack}: {self.kind} started", err=True)

    def finished(self, result: fleet.StackResult, done: int, total: int) -> None:
        status = "ok  " if result.ok else "FAIL"
        with self.lock:
            click.echo(
                f"[{self._elapsed()}] {result.stack}: {status} {result.describe()} "
                f"({result.seconds:.1f}s) [{done}/{total} done]",
                err=True,
            )

    def _elapsed(self) -> str:
        seconds = int(time.monotonic() - self.start)
        return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _run(
    state: Context, kind: fleet.Kind, patterns: Sequence[str], env: str | None, parallel: int
) -> list[fleet.StackResult]:
    refs = select(state.stacks(), patterns, env)
    if not refs:
        raise click.ClickException("no stack matches: see `python -m stacks list`")
    if state.which("pulumi") is None:
        raise click.ClickException(fleet.NO_CLI)
    operation = state.operation_factory(kind, state.root)
    click.echo(
        f"{kind}: {len(refs)} stack(s), {parallel} at a time: {', '.join(r.name for r in refs)}", err=True
    )
    results = fleet.run_fleet(refs, operation, parallel, LineProgress(kind, len(refs)))
    width = max(len(r.stack) for r in results)
    click.echo(f"\n{kind} results:")
    for result in results:
        click.echo(f"  {result.stack:<{width}}  {'ok    ' if result.ok else 'FAILED'}  {result.describe()}")
    failed = [r for r in results if not r.ok]
    for result in failed:
        click.echo(f"\n--- {result.stack} ---\n{result.error}", err=True)
    click.echo(f"{len(results) - len(failed)} succeeded, {len(failed)} failed")
    return results


_selection = [
    click.argument("patterns", nargs=-1),
    click.option("--env", help="only the stacks of this environment"),
    click.option(
        "--parallel", "-p", type=click.IntRange(1, 64), default=4, show_default=True, help="stacks at once"
    ),
]


def _with_selection(function: Callable[..., Any]) -> Callable[..., Any]:
    for decorator in reversed(_selection):
        function = decorator(function)
    return function


@cli.command("preview")
@_with_selection
@click.option(
    "--json-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"write each stack's `pulumi preview --json` digest there as <stack>.json, and {fleet.RESULTS_FILE}",
)
@pass_context
def preview_command(
    state: Context, patterns: Sequence[str], env: str | None, parallel: int, json_dir: Path | None
) -> None:
    """Preview the selected stacks (glob PATTERNS and/or --env; all by default) through the Automation API.

    One stack's failure does not stop the others; exits 1 if any failed.
    """
    results = _run(state, "preview", patterns, env, parallel)
    if json_dir is not None:
        fleet.write_results(results, "preview", json_dir)
        click.echo(f"previews written to {json_dir} (to Markdown: `python -m stacks diff-report {json_dir}`)")
    sys.exit(fleet.exit_code(results))


@cli.command("up")
@_with_selection
@click.option("--yes", "-y", is_flag=True, help="apply without asking (required when not in a terminal)")
@pass_context
def up_command(state: Context, patterns: Sequence[str], env: str | None, parallel: int, yes: bool) -> None:
    """Apply the selected stacks (glob PATTERNS and/or --env) through the Automation API.

    One stack's failure does not stop the others; exits 1 if any failed.
    """
    refs = select(state.stacks(), patterns, env)
    if refs and not yes:
        if not state.interactive:
            raise click.UsageError("pass --yes to apply without a terminal")
        click.confirm(f"Apply {len(refs)} stack(s): {', '.join(r.name for r in refs)}?", abort=True)
    results = _run(state, "up", patterns, env, parallel)
    sys.exit(fleet.exit_code(results))


# --- diff-report ---------------------------------------------------------------------------------------


@cli.command("diff-report")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="write there instead of stdout"
)
@click.option("--title", default="Pulumi preview", show_default=True, help="the report's heading")
@click.option(
    "--stack-config/--no-stack-config",
    default=True,
    show_default=True,
    help="also mask the properties named after the keys each stack file stores encrypted",
)
@click.option(
    "--diagrams/--no-diagrams",
    default=True,
    show_default=True,
    help="add each stack's routing as a Mermaid diagram, as its stack file declares it, changes marked",
)
@pass_context
def diff_report_command(
    state: Context,
    inputs: Sequence[Path],
    output: Path | None,
    title: str,
    stack_config: bool,
    diagrams: bool,
) -> None:
    """Turn `pulumi preview --json` output into one Markdown summary.

    INPUTS are preview JSON files, or directories that `preview --json-dir` wrote (one per shard
    when the previews ran on several runners).

    Per stack: resources to create, update, replace and delete, and the changed properties; then
    the routing the stack file declares (providers, trunks, outcall, DIDs), with what the change
    adds, removes or modifies marked. Secrets are masked: Pulumi's own markers, credentials, and
    every key a stack marks secret.
    """
    from stacks import diagram

    secrets: dict[str, set[str]] = {}
    declared: dict[str, diagram.Routing] = {}
    for ref in state.stacks():
        if stack_config:
            secrets[ref.name] = secret_config_keys(ref.path)
        if diagrams:
            # `validate` names the problems of a stack that does not load; it gets no diagram
            with contextlib.suppress(ConfigError):
                declared[ref.name] = diagram.from_stack(load_stack_config(read_stack_file(ref).values))
    try:
        text = report.report(inputs, secrets, title, declared)
    except report.ReportError as error:
        raise click.ClickException(str(error)) from None
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"report written to {output}", err=True)


# --- affected ------------------------------------------------------------------------------------------


@cli.command("affected")
@click.argument("paths", nargs=-1)
@click.option(
    "--from-file",
    type=click.File("r"),
    help="read the changed paths from this file, one per line (- for stdin), e.g. `git diff --name-only`",
)
@click.option("--env", help="only the stacks of this environment")
@click.option("--all", "every", is_flag=True, help="every stack, as when shared code changes (a manual run)")
@click.option(
    "--shards",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="print a GitHub Actions matrix instead (JSON, one line): the stacks split into at most N shards, "
    'each entry {"shard", "shards", "stacks": "<names separated by spaces>"}',
)
@pass_context
def affected_command(
    state: Context,
    paths: Sequence[str],
    from_file: Any,
    env: str | None,
    every: bool,
    shards: int | None,
) -> None:
    """Print the stacks that the changed PATHS touch, one per line (or, with --shards, as a matrix).

    A stack file touches its own stack; shared code (providers/, __main__.py, Pulumi.yaml,
    requirements.txt) touches every stack; anything else touches none.
    """
    changed = list(paths) + (from_file.read().splitlines() if from_file is not None else [])
    stacks_dir = (
        state.stacks_dir.relative_to(state.root).as_posix() if state.stacks_dir != state.root else "."
    )
    stacks = select(state.stacks(), (), env)
    names = (
        [ref.name for ref in stacks]
        if every
        else affected_module.affected_stacks(changed, stacks, stacks_dir)
    )
    if shards is not None:
        click.echo(json.dumps(affected_module.matrix(names, shards), separators=(",", ":")))
        return
    for name in names:
        click.echo(name)


# --- connecting to a deployed tenant: show, status ---------------------------------------------------


def _stack_connection(state: Context, ref: StackRef) -> tuple[StackConfig, Settings]:
    """The stack's validated config, and the settings the program itself would build from it.

    The config comes through the Pulumi CLI when it can decrypt the stack, else from the stack
    file; the password, when the config and the environment give none, from a prompt in a terminal.
    Raises StackConfigError or ConfigError, naming the stack file or the key.
    """
    reader = state.config_reader(state.root) if state.which("pulumi") else None
    values, note = connection.read_config(ref, reader)
    if note:
        click.echo(
            f"{ref.name}: {note}; reading {ref.path.name} instead (secrets from the environment)", err=True
        )
    config = load_stack_config(values.values)
    settings = connection.settings_for(values.values)
    if settings.username and not (settings.token or settings.password) and state.interactive:
        key = (settings.auth_base, settings.username)
        if key not in state.passwords:
            state.passwords[key] = click.prompt(
                f"wazo-auth password of {settings.username} ({settings.auth_base})",
                hide_input=True,
                default="",
                show_default=False,
            )
        if state.passwords[key]:
            settings = settings.with_overrides(password=state.passwords[key])
    return config, settings


# --- export ----------------------------------------------------------------------------------------

# Keys of a stack's config that say how to connect (written into an exported file when given)
CONNECTION_KEYS = ("url", "tenant", "username", "caBundle", "insecure", "confdUrl", "authUrl", "calldUrl")


def _source_values(state: Context, from_stack: str | None) -> tuple[dict[str, Any], StackRef | None]:
    """The config of the stack the connection comes from (through the CLI when it can decrypt it)."""
    if from_stack is None:
        return {}, None
    refs = select(state.stacks(), (from_stack,), None)
    if not refs:
        raise click.ClickException(f"no stack named {from_stack!r} in {state.stacks_dir}")
    reader = state.config_reader(state.root) if state.which("pulumi") else None
    try:
        values, note = connection.read_config(refs[0], reader)
    except connection.StackConfigError as error:
        raise click.ClickException(str(error)) from None
    if note:
        click.echo(f"{refs[0].name}: {note}; reading {refs[0].path.name} instead", err=True)
    return dict(values.values), refs[0]


def _export_failure(error: Exception, settings: Settings, tenant: str) -> str:
    """One line for what stopped the export before anything was written."""
    from providers.confd import ConfdAuthError, ConfdConnectionError

    if isinstance(error, ConfdConnectionError):
        return f"cannot reach the Wazo at {settings.url}: {str(error).splitlines()[0]}"
    if isinstance(error, ConfdAuthError):
        if (error.path or "").endswith("/token"):
            return f"wazo-auth refused the credentials of user {settings.username!r} ({settings.auth_base})"
        who = "the token" if settings.token else f"user {settings.username!r}"
        return (
            f"confd refused {who} for tenant {tenant}: the tenant does not exist, or {who} cannot see "
            f"it or read its objects (confd.trunks.read, confd.incalls.read, ...)"
        )
    return str(error).splitlines()[0]


@cli.command("export")
@click.option("--url", help="base URL of the Wazo (default: --from-stack's, or WAZO_URL)")
@click.option("--tenant-uuid", help="UUID of the tenant to export (default: --from-stack's)")
@click.option(
    "--tenant", "tenant_name", help="tenant short name, for the stack name (default: --from-stack's)"
)
@click.option("--env", "env", help="environment, for the stack name (default: --from-stack's)")
@click.option("--username", help="wazo-auth user (default: --from-stack's, or WAZO_USERNAME)")
@click.option(
    "--from-stack",
    metavar="STACK",
    help="connect as this stack does: its url, tenant, username, TLS and URL keys, and its password "
    "(decrypted by the Pulumi CLI when it can)",
)
@click.option(
    "--allow-partial",
    is_flag=True,
    help="write the file even when some objects cannot be expressed (they are listed; without this "
    "flag nothing is written then)",
)
@click.option("--force", is_flag=True, help="overwrite an existing stack file")
@pass_context
def export_command(
    state: Context,
    url: str | None,
    tenant_uuid: str | None,
    tenant_name: str | None,
    env: str | None,
    username: str | None,
    from_stack: str | None,
    allow_partial: bool,
    force: bool,
) -> None:
    """Write stacks/Pulumi.<tenant>-<env>.yaml from what a live tenant holds, to take it under management.

    Reads the tenant's SIP trunks, outcalls and incalls (one list request per collection) and writes
    them as providers, `outgoing` and `incoming` DIDs, with `adopt: true` and the ids of the objects
    confd gives no name: the first `up` then takes them over and, for an unchanged tenant, writes
    nothing. Whatever the stack cannot express is listed by name at the end; the export then writes
    nothing and exits 1, unless --allow-partial.

    The SIP passwords confd returns never go into the file: with the Pulumi CLI they are stored
    with `pulumi config set --secret` (on stdin), otherwise the exact commands are printed. The
    wazo-auth password comes from --from-stack's config, WAZO_PASSWORD (or a token from
    WAZO_TOKEN), or a prompt without echo; never from the command line.
    """
    import time
    import uuid

    from providers.confd import ConfdError, connect
    from stacks import export

    source, ref = _source_values(state, from_stack)
    tenant_name = tenant_name or (ref.tenant if ref else None)
    env = env or (ref.env if ref else None)
    if not tenant_name or not env:
        raise click.UsageError("name the stack to write with --tenant and --env (or --from-stack)")
    stack = f"{tenant_name}-{env}"
    if not STACK_NAME.match(stack):
        raise click.UsageError(
            f"stack name {stack!r}: --tenant: lower-case letters, digits, '-'; --env: letters, digits"
        )
    path = state.stacks_dir / stack_file_name(tenant_name, env)
    if path.exists() and not force:
        raise click.ClickException(f"{path} already exists: pass --force to overwrite it")
    values = {
        **source,
        **{k: v for k, v in (("url", url), ("tenant", tenant_uuid), ("username", username)) if v},
    }
    settings = connection.settings_for(values)
    tenant = str(values.get("tenant") or settings.tenant or "")
    try:
        tenant = str(uuid.UUID(tenant))
    except ValueError:
        raise click.UsageError(
            f"--tenant-uuid must be the UUID of the tenant to export, got {tenant or 'nothing'!r}"
        ) from None
    if settings.username and not (settings.token or settings.password) and state.interactive:
        password = click.prompt(
            f"wazo-auth password of {settings.username} ({settings.auth_base})",
            hide_input=True,
            default="",
            show_default=False,
        )
        settings = settings.with_overrides(password=password or None)
    start = time.monotonic()
    try:
        client = connect(tenant, settings)
        read = export.read_tenant(client, tenant)
    except ConfdError as error:
        raise click.ClickException(_export_failure(error, settings, tenant)) from None
    except export.ExportError as error:
        raise click.ClickException(f"{error}: nothing written") from None
    seconds = time.monotonic() - start
    written = {key: values[key] for key in CONNECTION_KEYS if values.get(key) not in (None, "")}
    written.update({"url": settings.url, "tenant": tenant})
    try:
        result = export.export_tenant(read, written, stack)
    except export.ExportError as error:
        raise click.ClickException(f"{error}: nothing written") from None
    click.echo(export.describe_reads(len(export.READS), seconds), err=True)
    for line in export.summary(result):
        click.echo(line, err=True)
    if not result.complete and not allow_partial:
        raise click.ClickException(
            f"{len(result.findings)} thing(s) above are not in the stack file as the tenant has them, so "
            f"nothing was written: fix them in the Wazo, or pass --allow-partial to write the file anyway"
        )
    secrets = list(result.secrets)
    own = ref is not None and ref.name == stack
    if written.get("username") and settings.password and not settings.token and not own:
        # the stack deploys as this user: keep the password it was exported with, as `new` does
        secrets.insert(0, scaffold.Secret("password", settings.password))
    keep = export.kept_from(path.read_text(encoding="utf-8")) if path.exists() else {}
    commands = [scaffold.config_set_command(stack, s) for s in secrets]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(export.render(result, stack, settings.url, tenant, commands, keep), encoding="utf-8")
    click.echo(f"wrote {path} (stack {stack}): {result.counts()}; adopt: true")
    plan = scaffold.store_stack_secrets(stack, secrets, state.root, state.which("pulumi"))
    _report_secrets(
        state,
        plan,
        "each one prompts for its value (the SIP passwords are the ones the Wazo has, not shown here)",
    )


# --- status ----------------------------------------------------------------------------------------


@cli.command("status")
@click.argument("patterns", nargs=-1)
@click.option("--env", help="only the stacks of this environment")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="ask again, with backoff, until every expected registration is up or SECONDS have passed",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.01),
    default=2.0,
    show_default=True,
    metavar="SECONDS",
    help="first pause between two rounds; it doubles each round, up to 30 s",
)
@click.option(
    "--parallel", "-p", type=click.IntRange(1, 64), default=4, show_default=True, help="stacks at once"
)
@pass_context
def status_command(
    state: Context, patterns: Sequence[str], env: str | None, wait: float, interval: float, parallel: int
) -> None:
    """Is each provider trunk registered? Ask wazo-calld for the selected stacks (glob PATTERNS and/or --env).

    Per trunk: registered or not ("not loaded yet" when calld does not list it), calls in progress,
    and whether registration is expected (a provider with registration disabled is not a failure).
    A stack whose calld cannot be reached or refuses the credentials is reported, and the others go on.
    Exits 0 when every expected registration is up, 1 otherwise.

    Credentials are the stack's own (through the Pulumi CLI when it can decrypt them), else
    WAZO_PASSWORD or WAZO_TOKEN, else a prompt in a terminal; never a command-line option.
    """
    from stacks import status

    refs = select(state.stacks(), patterns, env)
    if not refs:
        raise click.ClickException("no stack matches: see `python -m stacks list`")
    early: dict[str, status.StackStatus] = {}
    targets: list[status.Target] = []
    for ref in refs:
        try:
            config, settings = _stack_connection(state, ref)
        except connection.StackConfigError as error:
            early[ref.name] = status.StackStatus(ref.name, "", error=str(error))
            continue
        except ConfigError as error:
            early[ref.name] = status.StackStatus(
                ref.name, "", error=f"{ref.path.name} is not valid: run `python -m stacks validate`\n{error}"
            )
            continue
        targets.append(status.Target(ref.name, config, settings))
    start = time.monotonic()

    def progress(elapsed: float, waiting: Sequence[status.StackStatus]) -> None:
        for result in waiting:
            what = result.error or ", ".join(f"{t.name} {t.describe()}" for t in result.waiting_for)
            click.echo(f"[{elapsed:5.1f} s] waiting for {result.stack}: {what.splitlines()[0]}", err=True)

    polled = {r.stack: r for r in status.poll(targets, wait, interval, parallel, progress)}
    results = [early.get(ref.name) or polled[ref.name] for ref in refs]
    waited = round(time.monotonic() - start, 1) if wait else None
    for line in status.render(results, waited):
        click.echo(line)
    sys.exit(0 if all(result.ready for result in results) else 1)


# --- show, demo ------------------------------------------------------------------------------------


@cli.command("show")
@click.argument("stack")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "mermaid"]),
    default="text",
    show_default=True,
    help="text: in the words of the procedure; mermaid: a flowchart of the routing",
)
@pass_context
def show_command(state: Context, stack: str, output_format: str) -> None:
    """Show what the tenant of STACK holds now: trunks, outcalls and incoming numbers (read-only).

    It connects as the program does: every connection key of the stack (url, confdUrl, authUrl,
    caBundle, insecure, ...) with the same environment fallbacks. The wazo-auth password comes from
    the stack (decrypted by the Pulumi CLI), WAZO_PASSWORD (or a token from WAZO_TOKEN), or is asked
    for without echo; never from the command line, where `ps` and shell history see it.
    """
    from providers.confd import ConfdError, connect
    from stacks import diagram
    from stacks.show import tenant_report

    refs = select(state.stacks(), (stack,), None)
    if not refs:
        raise click.ClickException(f"no stack named {stack!r} in {state.stacks_dir}")
    try:
        config, settings = _stack_connection(state, refs[0])
    except (connection.StackConfigError, ConfigError) as error:
        raise click.ClickException(f"{refs[0].path.name}: {error}") from None
    try:
        client = connect(str(config.tenant), settings)
        if output_format == "mermaid":
            routing = diagram.from_confd(client)
            click.echo(
                diagram.mermaid(routing, f"{refs[0].name}: tenant {config.tenant} on {config.url}"), nl=False
            )
            return
        click.echo(f"Tenant {config.tenant} on {config.url}")
        for line in tenant_report(client):
            click.echo(line)
    except ConfdError as error:
        raise click.ClickException(str(error)) from None


@cli.command("demo")
@click.option("--port", default=9486, show_default=True, help="the sandbox's port")
@click.option("--stop", is_flag=True, help="stop the sandbox the demo started, and exit")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="where the sandbox's and Pulumi's local state go (default: .sandbox/ in the project)",
)
@pass_context
def demo_command(state: Context, port: int, stop: bool, state_dir: Path | None) -> None:
    """Start the sandbox, deploy the acme-dev stack to it with the Pulumi CLI, show the tenant."""
    from providers.confd import Settings, connect
    from stacks.demo import DEMO_PASSWORD, DEMO_TENANT, DEMO_USERNAME, Demo, DemoError
    from stacks.show import tenant_report

    demo = Demo(root=state.root, port=port, state_dir=state_dir, ensure_cli=state.ensure_cli, echo=click.echo)
    if stop:
        click.echo("Stopped the sandbox." if demo.stop_sandbox() else "No sandbox started by the demo runs.")
        return
    fleet_check = check_fleet(state.stacks())
    for finding in fleet_check.errors:
        click.echo(str(finding), err=True)
    if fleet_check.errors:
        raise SystemExit(1)
    click.echo(f"Checked {len(state.stacks())} stack files offline: no error.")
    try:
        code = demo.run()
    except DemoError as error:
        raise click.ClickException(str(error)) from None
    if code == 0:
        client = connect(DEMO_TENANT, Settings(url=demo.url, username=DEMO_USERNAME, password=DEMO_PASSWORD))
        click.echo(f"\nWhat the acme tenant now holds ({demo.url}):")
        for line in tenant_report(client):
            click.echo(line)
    raise SystemExit(code)


def main() -> None:
    cli(prog_name="python -m stacks")
