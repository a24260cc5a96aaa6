"""The questions a service answers, read from the template's copier.yml with yaml (nothing is
rendered), so that a misspelt `--data` key is refused before anything is written: Copier itself
would take it as an extra variable and ignore it silently."""

import difflib
import subprocess
from pathlib import Path
from typing import Any

import yaml

from fastapi_domains.errors import CliError

CONFIG_FILES = ("copier.yml", "copier.yaml")


def parse_data(pairs: list[str]) -> dict[str, str]:
    """`--data KEY=VALUE` options as a mapping; the last of a repeated key wins, as in Copier."""
    data = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise CliError(f"--data {pair!r} must be KEY=VALUE, e.g. --data project_name=Shop")
        data[key.strip()] = value
    return data


def check_keys(data: dict[str, str], source: str, ref: str | None) -> None:
    """Every key of `data` must be a question a service is asked, in the template at `ref`."""
    if not data:
        return
    known = project_questions(read_config(source, ref))
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"its questions: {', '.join(known)}"
            raise CliError(f"--data {key!r} is not a question of the template ({hint}); nothing was written")


def project_questions(config: dict[str, Any]) -> list[str]:
    """The questions a service (the template's project kind) answers: not Copier's settings
    (`_...`), not those set by the CLI (`ask: false`), not those of the domain kinds (`when`)."""
    return [
        name
        for name, question in config.items()
        if not name.startswith("_")
        and not (isinstance(question, dict) and question.get("ask") is False)
        and asked_of_a_project(question)
    ]


def asked_of_a_project(question: object) -> bool:
    when = question.get("when", True) if isinstance(question, dict) else True
    if not isinstance(when, str):
        return bool(when)
    import jinja2  # noqa: PLC0415 - only once `--data` is given: the CLI's start stays light

    try:
        # Only `template_kind` is known before the answers: an unknown name is undefined, so a
        # question that depends on another answer (`license != 'none'`) counts as asked.
        rendered = jinja2.Environment(autoescape=False).from_string(when).render(template_kind="project")  # noqa: S701
    except jinja2.TemplateError:
        return True
    return rendered.strip().lower() not in {"", "false", "no", "off", "0", "n", "none"}


def read_config(source: str, ref: str | None) -> dict[str, Any]:
    """The template's copier.yml at `ref`: from a folder on this machine (through git at `ref`,
    or as it is when the folder has no git history), else from a clone Copier makes of the URL."""
    folder = Path(source).expanduser()
    text = local_config(folder, ref) if folder.is_dir() else cloned_config(source, ref)
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CliError(f"the template's copier.yml ({source}) is not valid YAML: {error}") from error
    if not isinstance(config, dict):
        raise CliError(f"the template's copier.yml ({source}) holds no questions")
    return config


def local_config(folder: Path, ref: str | None) -> str:
    is_git = subprocess.run(  # noqa: S603 - a fixed git command on the template folder
        ["git", "-C", str(folder), "rev-parse", "--is-inside-work-tree"],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        check=False,
    )
    for name in CONFIG_FILES:
        if ref and is_git.returncode == 0:
            shown = subprocess.run(  # noqa: S603 - a fixed git command; the ref is the one Copier renders
                ["git", "-C", str(folder), "show", f"{ref}:{name}"],  # noqa: S607 - git from PATH
                capture_output=True,
                text=True,
                check=False,
            )
            if shown.returncode == 0:
                return shown.stdout
        elif (folder / name).is_file():
            return (folder / name).read_text()
    raise CliError(f"the template at {folder} has no copier.yml{f' at {ref}' if ref else ''}")


def cloned_config(source: str, ref: str | None) -> str:
    # Imported here: only a template behind a git URL needs Copier's clone.
    from copier._template import Template  # noqa: PLC0415

    template = Template(url=source, ref=ref)
    try:
        found = [template.local_abspath / name for name in CONFIG_FILES if (template.local_abspath / name).is_file()]
        if not found:
            raise CliError(f"the template at {source} has no copier.yml")
        return found[0].read_text()
    except (OSError, ValueError, subprocess.CalledProcessError) as error:
        raise CliError(f"cannot read the template at {source}: {error}") from error
    finally:
        template._cleanup()  # Copier's own removal of its clone
