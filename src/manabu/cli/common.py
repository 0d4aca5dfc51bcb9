"""What every command shares: the Typer ``app``, the consoles, the ``command`` wrapper that turns
errors into one message and an exit status, and the helpers that say, write and name things.

The command modules (``train``, ``ship``, ``text``, ``unsupervised``) register their commands on
``app``; ``manabu.cli`` imports them all and runs the app.

Only Typer, Rich and manabu's errors and messages are imported at the top of the command
modules: ``manabu --help`` builds the app from them alone, and each command imports pandas, the
data readers or the training machinery when it runs, reading its data first, so that a bad
file is refused before scikit-learn and the model families load
(``tests/cli/test_startup.py``).
"""
from __future__ import annotations

import functools
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from manabu.base.errors import ConfigError, DataError, ManabuError, Terminated
from manabu.base.i18n import Message, set_language, t

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
                  help="manabu (学ぶ): train, evaluate and use machine-learning models from a data file.")
out = Console()
err = Console(stderr=True)

Lang = Annotated[str | None, typer.Option("--lang", help="Language of messages: ja or en (default: from the locale).")]
Debug = Annotated[bool, typer.Option("--debug", help="Show the full traceback of errors.")]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
LEADERBOARD_ROWS = 15  # the rest stay in the model folder (manifest.json, Predictor.leaderboard())
LOCAL_TRACKING = "local"  # `--track` without a URI: the local MLflow store


def command(fn):
    """Every command: set the language, turn errors into one clear message and an exit status."""
    @functools.wraps(fn)
    def wrapper(*args, lang: str | None = None, debug: bool = False, **kwargs):
        try:
            set_language(language(lang))
            return fn(*args, **kwargs)
        except ManabuError as error:
            if debug:
                traceback.print_exc()
            say(str(error), label=f"{t('cli.error')}: ", style="bold red")
            raise typer.Exit(EXIT_USAGE) from None
        except KeyboardInterrupt:
            if debug:
                traceback.print_exc()
            say(t("cli.interrupted"), style="bold yellow")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception:
            if debug:
                raise
            say(repr(sys.exc_info()[1]), label=f"{t('cli.unexpected')}: ", style="bold red")
            say(t("cli.rerun_debug"))
            raise typer.Exit(1) from None
    return wrapper


def language(lang: str | None) -> str | None:
    """The ``--lang`` given, checked (None: from the locale)."""
    if lang is None:
        return None
    if lang not in ("ja", "en"):
        raise ConfigError("cli.bad_lang", value=lang)
    return lang


def say(text: str, console: Console = err, *, label: str = "", style: str = "") -> None:
    """One message as one line: a terminal wraps it, a log or a pipe keeps it whole (and paths
    stay copyable). The text is shown as it is: brackets in a file or column name are not markup."""
    line = Text.assemble((label, style), text) if label else Text(text, style=style)
    console.print(line, soft_wrap=True, highlight=False)


def print_notices(notices: list[Message]) -> None:
    for notice in notices:
        say(notice.render(), label="• ", style="yellow")


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a scheduler or ``kill`` ending the job) stops the search like Ctrl-C does, so
    the best model so far is still saved."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        Terminated.received.set()
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        Terminated.received.clear()


@contextmanager
def progress(title: str, total: int):
    """A progress bar on standard error; yields ``advance(done)``. It disappears when done."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                  TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task(title, total=max(total, 1))
        yield lambda done: bar.update(task, completed=done)


def split(value: str | None) -> tuple[str, ...] | None:
    """A comma-separated option as its parts (None when empty)."""
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


def default_output(data) -> Path:
    """A new folder under ./manabu-models named after the data and the time (-2, -3 … when two
    runs start in the same second)."""
    stem = Path(data).stem if isinstance(data, (str, os.PathLike)) else "data"  # a data frame: "data"
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem) or "model"
    base = Path("manabu-models") / f"{stem}-{datetime.now():%Y%m%d-%H%M%S}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def folder_kind(model_dir: Path) -> str | None:
    """The "kind" a model folder's manifest names (forecast, segmentation, rl, ...), read as
    plain JSON before any model library loads; None for a supervised model, and for a folder
    that is not a model or is broken (left to the usual loading and its messages)."""
    import json

    try:
        return json.loads((Path(model_dir) / "manifest.json").read_text("utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return None


def write_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """``write(partial)`` beside the target, then rename, so an interrupted run never leaves half
    a file; a place that cannot be written gets one clear message."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(partial)
        partial.replace(path)
    except OSError as error:  # a folder in the way, no permission, a full disk
        raise cannot_write(path, error) from None
    finally:
        with suppress(OSError):
            partial.unlink(missing_ok=True)
    return path


def cannot_write(path: Path, error: OSError) -> DataError:
    """The one message for a file that cannot be written."""
    return DataError("cli.cannot_write", path=str(path), reason=error.strerror or str(error))


def with_track_value(argv: list[str]) -> list[str]:
    """``--track`` alone (last, or before another option) means the local store: Typer's options
    take a value, so that one is filled in."""
    filled = []
    for i, arg in enumerate(argv):
        filled.append(arg)
        if arg == "--track" and (i + 1 == len(argv) or argv[i + 1].startswith("-")):
            filled.append(LOCAL_TRACKING)
    return filled


_command_start: list[float] = []  # set by ``main``, the process's own entry, and taken once


def started_with_process() -> None:
    """The command is this process (``manabu``, ``python -m manabu.cli``): its time limit counts
    from the process's start, since its user waits through the interpreter and the imports too
    (a second or two with a core busy)."""
    _command_start[:] = [process_started()]


def command_started() -> float:
    """When the running command started, on ``time.monotonic()``'s clock: the process's start
    for the process's own command, now for a command run within a program (Typer's runner)."""
    import time

    return _command_start.pop() if _command_start else time.monotonic()


def process_started() -> float:
    """When this process started, on ``time.monotonic()``'s clock (now where the system does
    not say)."""
    import time

    try:
        age = _process_age()
    except Exception:  # neither /proc nor psutil can say here (a sandbox, say)
        return time.monotonic()
    return time.monotonic() - min(max(age, 0.0), MAX_STARTUP_SECONDS)


def _process_age() -> float:
    """Seconds since this process started. On Linux from the kernel's own count (psutil's
    ``create_time`` adds the boot time, which /proc gives in whole seconds: 0.8 s off, seen)."""
    import os
    import time

    if hasattr(time, "CLOCK_BOOTTIME") and os.path.exists("/proc/self/stat"):
        with open("/proc/self/stat") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22, after the name
        return time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    import psutil
    return time.time() - psutil.Process().create_time()


# a start slower than this is a fresh environment's first command compiling its modules (a
# minute, once: the README's quickstart then had no time left for the search) or a clock that
# moved; the limit counts this much of it (a usual start is 0.3-1.5 s, 2 s with a core busy)
MAX_STARTUP_SECONDS = 3.0
