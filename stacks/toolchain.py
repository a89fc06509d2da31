"""The Pulumi CLI this project runs: built from pinned Go modules into `.tools/bin`, or found on PATH.

`.tools/go.mod` pins the CLI (`github.com/pulumi/pulumi/pkg/v3`, package `cmd/pulumi`) and, through
it, the Pulumi Go SDK that the project's own language host (`.tools/langhost`) is built with. The
build puts three executables side by side, where the CLI looks for its bundled plugins:

- `pulumi`, the CLI and its engine;
- `pulumi-language-python`, the language host that runs `__main__.py` (Pulumi's own host is a Go
  module that the module proxy these machines reach does not serve: see `.tools/langhost/main.go`);
- `pulumi-resource-pulumi-python`, the plugin that serves the program's dynamic resources.

A build writes into a temporary folder and moves the executables into place only once all three
are built; the stamp that makes them usable is written last. So a failed or interrupted build never
leaves a binary that a later call would pick up.

`python -m stacks.toolchain build` (what `make pulumi` runs) builds unless the stamp is current;
`ensure` uses a suitable CLI on PATH, else builds when Go is here; `path` prints the CLI's path.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
CLI_MODULE = "github.com/pulumi/pulumi/pkg/v3"
CLI_PACKAGE = f"{CLI_MODULE}/cmd/pulumi"
VERSION_SYMBOL = "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
EXECUTABLES = ("pulumi", "pulumi-language-python", "pulumi-resource-pulumi-python")
STAMP = ".stamp"
INSTALL_CLI = (
    "To use an installed Pulumi CLI instead (version {minimum} or newer), install it and put it on PATH:\n"
    "\n"
    "    curl -fsSL https://get.pulumi.com | sh\n"
    '    export PATH="$HOME/.pulumi/bin:$PATH"\n'
    "\n"
    "or install Go 1.26 (https://go.dev/doc/install) and let the project build the pinned CLI."
)
# what `go` prints when a module or version cannot be had: "<module>@<version>: <reason>", or
# "go: downloading <module> <version>" followed by the reason
_MODULE_ERROR = re.compile(r"(?P<module>[\w.\-]+(?:/[\w.\-]+)+)@(?P<version>v[\w.\-+]+)\S*:\s*(?P<reason>.+)")
_DOWNLOADING = re.compile(r"^go: downloading (?P<module>\S+) (?P<version>v\S+)$")


class ToolchainError(RuntimeError):
    """No usable CLI: the message says what failed and what to do."""


@dataclass(frozen=True)
class Tools:
    """Where the tools module lives and where its executables go."""

    root: Path = ROOT

    @property
    def module(self) -> Path:
        return self.root / ".tools"

    @property
    def bin(self) -> Path:
        return self.module / "bin"

    @property
    def cli(self) -> Path:
        return self.bin / "pulumi"

    def pinned_version(self) -> str:
        """The CLI version `.tools/go.mod` pins, without the leading v (e.g. 3.274.1)."""
        text = (self.module / "go.mod").read_text(encoding="utf-8")
        match = re.search(rf"^\s*{re.escape(CLI_MODULE)}\s+v(\S+)", text, re.MULTILINE)
        if match is None:
            raise ToolchainError(f"{self.module / 'go.mod'} does not require {CLI_MODULE}")
        return match.group(1)

    def sdk_version(self) -> str:
        """The Python SDK version requirements.txt pins: the CLI must be at least as new."""
        text = (self.root / "requirements.txt").read_text(encoding="utf-8")
        match = re.search(r"^pulumi==(\S+)", text, re.MULTILINE)
        if match is None:
            raise ToolchainError("requirements.txt does not pin pulumi==<version>")
        return match.group(1)

    def inputs_digest(self) -> str:
        """What the build depends on: the pins, the host's sources and the plugin script."""
        digest = hashlib.sha256()
        names = ("go.mod", "go.sum", EXECUTABLES[2])
        sources = [self.module / name for name in names] + sorted((self.module / "langhost").glob("*"))
        for path in sources:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def built(self) -> Path | None:
        """The built CLI, if its stamp says it was built from the current inputs."""
        stamp = self.bin / STAMP
        if not stamp.is_file() or stamp.read_text(encoding="utf-8").strip() != self.inputs_digest():
            return None
        if all(os.access(self.bin / name, os.X_OK) for name in EXECUTABLES):
            return self.cli
        return None


def _say(text: str, stream: TextIO = sys.stdout) -> None:
    stream.write(text + "\n")


def version_key(version: str) -> tuple[int, ...]:
    """3.274.1 -> (3, 274, 1); anything after the numbers (pre-release, build) is ignored."""
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", version.strip())
    if match is None:
        raise ValueError(f"not a version: {version!r}")
    return tuple(int(part) for part in match.groups())


def cli_version(binary: str | Path) -> str | None:
    """What `pulumi version` says, or None when it cannot be run."""
    try:
        result = subprocess.run(
            [str(binary), "version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def on_path(minimum: str, which: Callable[[str], str | None] = shutil.which) -> Path | None:
    """A `pulumi` on PATH at least as new as `minimum`, if there is one."""
    found = which("pulumi")
    if found is None:
        return None
    version = cli_version(found)
    try:
        suitable = version is not None and version_key(version) >= version_key(minimum)
    except ValueError:
        suitable = False
    return Path(found) if suitable else None


def find(tools: Tools | None = None) -> Path | None:
    """The CLI to run: the project's build when current, else a suitable one on PATH."""
    tools = tools or Tools()
    return tools.built() or on_path(tools.sdk_version())


def activate(tools: Tools | None = None) -> Path | None:
    """Find the CLI and put its folder first on this process's PATH, for every `pulumi` it starts.

    The Automation API, `pulumi config set` and the tests all run `pulumi` from PATH; the CLI finds
    its bundled plugins (the language host, the dynamic-provider plugin) beside itself.
    """
    found = find(tools)
    if found is not None:
        folder = str(found.parent)
        path = os.environ.get("PATH", "")
        if path.split(os.pathsep)[:1] != [folder]:
            os.environ["PATH"] = os.pathsep.join([folder, path]) if path else folder
    return found


def which(name: str) -> str | None:
    """`shutil.which`, with the project's CLI (and its plugins) found first."""
    activate()
    return shutil.which(name)


def _go_failure(what: str, stderr: str, minimum: str) -> ToolchainError:
    """A failed `go` call as one message: which module or version could not be had, and the way out."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    failed = [
        f"{m.group('module')}@{m.group('version')}: {m.group('reason')}"
        for line in lines
        if (m := _MODULE_ERROR.search(line))
    ]
    downloads = [m for line in lines if (m := _DOWNLOADING.match(line))]
    reasons = [line for line in lines if not _DOWNLOADING.match(line)]
    if not failed and downloads and reasons:
        last = downloads[-1]
        failed = [f"{last.group('module')}@{last.group('version')}: {reasons[-1]}"]
    if failed:
        detail = "\n".join(f"  {line}" for line in failed[:5])
        reason = f"these modules or versions could not be had:\n{detail}"
    else:
        reason = "go said:\n" + "\n".join(f"  {line}" for line in lines[-10:])
    return ToolchainError(f"{what} failed; {reason}\n\n{INSTALL_CLI.format(minimum=minimum)}")


def build(
    tools: Tools | None = None,
    echo: Callable[[str], None] = _say,
    env: Mapping[str, str] | None = None,
) -> Path:
    """Build the pinned CLI and the two plugins into `.tools/bin` (instant when already current)."""
    tools = tools or Tools()
    current = tools.built()
    if current is not None:
        return current
    version, minimum = tools.pinned_version(), tools.sdk_version()
    go = shutil.which("go", path=(env or os.environ).get("PATH"))
    if go is None:
        raise ToolchainError(
            f"Go is not installed, and the Pulumi CLI {version} is built from Go modules.\n\n"
            + INSTALL_CLI.format(minimum=minimum)
        )
    echo(
        f"Building the Pulumi CLI {version} and its Python plugins from Go modules into "
        f"{tools.bin.relative_to(tools.root)} (the first build takes several minutes) ..."
    )
    started = time.monotonic()
    build_env = {**(env or os.environ), "CGO_ENABLED": "0"}
    tools.module.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tools.module, prefix=".build-") as scratch:
        out = Path(scratch)
        steps = [
            (
                f"building {CLI_PACKAGE} {version}",
                ["-ldflags", f"-X {VERSION_SYMBOL}=v{version}", "-o", str(out / "pulumi"), CLI_PACKAGE],
            ),
            (
                "building the language host (.tools/langhost)",
                ["-ldflags", f"-X main.version={version}", "-o", str(out / EXECUTABLES[1]), "./langhost"],
            ),
        ]
        for what, args in steps:
            result = subprocess.run(
                [go, "build", "-trimpath", "-buildvcs=false", *args],
                cwd=tools.module,
                env=build_env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise _go_failure(what, result.stderr, minimum)
        shutil.copy2(tools.module / EXECUTABLES[2], out / EXECUTABLES[2])
        said = cli_version(out / "pulumi")
        if said != f"v{version}":
            raise ToolchainError(f"the built CLI reports version {said!r}, not v{version}")
        tools.bin.mkdir(exist_ok=True)
        for name in EXECUTABLES:
            os.replace(out / name, tools.bin / name)
    (tools.bin / STAMP).write_text(tools.inputs_digest() + "\n", encoding="utf-8")
    minutes, seconds = divmod(round(time.monotonic() - started), 60)
    echo(f"Built {tools.cli.relative_to(tools.root)} ({version}) in {minutes} min {seconds:02d} s.")
    return tools.cli


def ensure(tools: Tools | None = None, echo: Callable[[str], None] = _say) -> Path:
    """A usable CLI, first on PATH: the current build, a suitable one on PATH, or a fresh build."""
    tools = tools or Tools()
    found = activate(tools)
    if found is None:
        build(tools, echo)
        found = activate(tools) or tools.cli
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks.toolchain", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("build", "ensure", "path"))
    parser.add_argument(
        "--optional", action="store_true", help="with ensure: no CLI and no Go is a note, not a failure"
    )
    args = parser.parse_args(argv)
    tools = Tools()
    try:
        if args.action == "path":
            found = find(tools)
            if found is None:
                _say("no Pulumi CLI: run `make pulumi`", sys.stderr)
                return 1
            _say(str(found))
            return 0
        if args.action == "ensure" and args.optional and find(tools) is None and shutil.which("go") is None:
            _say("No Pulumi CLI and no Go here: the tests that run the real CLI will be skipped.")
            return 0
        found = build(tools, _say) if args.action == "build" else ensure(tools, _say)
    except ToolchainError as error:
        _say(f"error: {error}", sys.stderr)
        return 1
    _say(f"Pulumi CLI: {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
