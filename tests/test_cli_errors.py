"""How the CLI ends when things go wrong outside any command's own checks: argparse's refusals
are one line and exit code 1 like every other; a stdout closed early (`fastapi-domains domains |
head -1`) ends it without a traceback; a Ctrl-C at any moment, while it starts or while a command
writes, prints at most one line, and a command is then either done and reported or has written
nothing (`remove` never reports success and then dies of the interrupt)."""

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import support
from tests.test_cli_domain import cli, copy_service, domain_args

INTERRUPTED = "fastapi-domains: interrupted; nothing more was written\n"
ARGPARSE_REFUSALS = {
    "no command": ((), "the following arguments are required: COMMAND (see `fastapi-domains --help`)"),
    "unknown command": (("domian",), "argument COMMAND: invalid choice: 'domian'"),
    "missing name": (("domain",), "the following arguments are required: NAME (see `fastapi-domains domain --help`)"),
    "unknown option": (("domain", "tags", "--feild", "a:str"), "unrecognized arguments: --feild a:str"),
    "missing action": (("field",), "required: ACTION (see `fastapi-domains field --help`)"),
    "missing spec": (("field", "add", "tags"), "required: SPEC (see `fastapi-domains field add --help`)"),
    "option without value": (("update", "--vcs-ref"), "argument --vcs-ref: expected one argument"),
    "remove without name": (("remove",), "required: NAME (see `fastapi-domains remove --help`)"),
}


@pytest.mark.parametrize(("args", "message"), ARGPARSE_REFUSALS.values(), ids=ARGPARSE_REFUSALS.keys())
def test_argparse_refusals_are_one_line_and_exit_1(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = cli(*args, cwd=tmp_path, check=False)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("fastapi-domains: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_help_still_prints_the_usage(tmp_path: Path) -> None:
    result = cli("domain", "--help", cwd=tmp_path)
    assert result.stdout.startswith("usage: fastapi-domains domain ") and "field grammar" in result.stdout


def spawn(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """The installed command, as a user runs it."""
    command = [Path(sys.executable).parent / "fastapi-domains", *args]
    return subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def service(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """customers and order_items, committed, and a hand edit left uncommitted."""
    service = copy_service(template, tmp_path_factory.mktemp("errors") / "acme", "example_domain=false")
    for domain in (domain_args("customers", "name:str"), domain_args("order_items", "title:str", "note:text:optional")):
        cli("domain", *domain, "--no-input", cwd=service)
    support.commit_all(service, "Two domains")
    with (service / "src" / "customers" / "service.py").open("a") as edited:
        edited.write("# Acme: not committed.\n")
    return service


@pytest.mark.parametrize("args", [("domains",), ("domains", "--diagram"), ("--help",), ("domain", "--help")])
def test_a_closed_stdout_ends_the_command_without_a_traceback(service: Path, args: tuple[str, ...]) -> None:
    """`| true`: the reader is gone before the command writes a line."""
    process = spawn(*args, cwd=service)
    assert process.stdout is not None
    process.stdout.close()
    _, stderr = process.communicate(timeout=60)
    # argparse's help gives up writing by itself (and exits 0); a command's output exits 1.
    assert (process.returncode, stderr) in ((1, ""), (0, "")) if "--help" in args else ((1, ""),)


def files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


# Seconds from the start to the Ctrl-C: while Python and the commands load, then across the commands.
STARTING = (0.03, 0.06, 0.1, 0.15, 0.2, 0.3)
WORKING = (0.3, 0.6, 0.9, 1.2, 1.6, 2.2, 3.0)


@pytest.mark.parametrize("delay", STARTING)
def test_ctrl_c_while_starting_is_one_line(service: Path, delay: float) -> None:
    process = spawn("domains", cwd=service)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    if process.returncode == 130:
        assert (stdout, stderr) == ("", INTERRUPTED)
    elif stdout:
        # Done before the signal came (on a quiet machine the listing takes about 0.1 s): the whole
        # listing; a Ctrl-C as the interpreter exits is Python's own, past any function of the CLI.
        assert process.returncode in (0, -signal.SIGINT), stderr
        assert stdout == cli("domains", cwd=service).stdout and "Traceback" not in stderr, stderr
    elif process.returncode != 0:
        # Interrupted before the CLI's guard ran (Python's own start-up, or importing the module that
        # holds the guard): no function of the CLI ran, nothing was written.
        assert process.returncode in (1, -signal.SIGINT), stderr
        assert not re.search(r'fastapi_domains/\w+\.py", line \d+, in (?!<module>)', stderr), stderr


COMMANDS = {
    "remove": (("remove", "order_items", "--yes"), "Removed the domain order_items"),
    "field add": (("field", "add", "customers", "phone:str:optional"), "Done adding phone to the domain customers"),
}


@pytest.mark.parametrize("delay", WORKING)
@pytest.mark.parametrize("command", COMMANDS.keys())
def test_ctrl_c_leaves_the_change_done_and_reported_or_not_started(
    service: Path, tmp_path: Path, command: str, delay: float
) -> None:
    args, success = COMMANDS[command]
    copy = Path(shutil.copytree(service, tmp_path / "acme", symlinks=True))
    before = files(copy)
    process = spawn(*args, cwd=copy)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert "Traceback" not in stderr
    after = files(copy)
    # `remove` first says what it drops (the rows it counted), then removes and says so.
    if success in stdout:
        assert (process.returncode, stderr) == (0, "")
        assert after != before and any(name.startswith("alembic/versions/") for name in set(after) - set(before))
    else:
        assert (process.returncode, stderr) == (130, INTERRUPTED)
        assert after == before
