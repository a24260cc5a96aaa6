"""`fastapi-domains update`: bring a service to a newer template release, one committed step at a time.

Copier updates one answers file per run and needs a clean git tree for each run, so the project
is updated first, then every domain, each clean result committed before the next step starts.
The first step that leaves conflicts stops the run; after the user resolves and commits, the
same command picks up where it stopped: steps already at the target version change nothing.
"""

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fastapi_domains import access, contract, domain_answers, external_domain, interrupts, questions
from fastapi_domains.errors import CliError
from fastapi_domains.project import ANSWERS_FILE, Project, load_project, read_answers
from fastapi_domains.releases import newest_release, resolve_commits, template_is_dirty
from fastapi_domains.template_source import template_source

EXIT_CONFLICTS = 1
# The labels Copier gives the two sides of an inline conflict.
CONFLICT_MARKERS = frozenset({b"<<<<<<< before updating", b">>>>>>> after updating"})

DESCRIPTION = """\
Update the service to a newer release of its template: first the project's own files, then
each domain (from its .copier/domain-NAME.yml), with `copier update` and the answers you gave.

The git tree must be clean. Copier needs a clean tree for every step, so this command COMMITS
each step that applies cleanly ("Update project from template v0.1.0 → v0.2.0", then one commit
per domain). Your edits are merged in; migrations and other files you own are never rewritten.

On the first conflict it stops and lists the files with conflict markers; resolve them, commit,
and run the command it prints to go on. It trusts the template, as `copier update --trust` does
(the template's migration steps run on your machine).
"""


@dataclass(frozen=True)
class Step:
    name: str
    answers_file: str


@dataclass(frozen=True)
class Outcome:
    step: Step
    before: str | None
    after: str | None

    def line(self) -> str:
        if self.before == self.after:
            return f"{self.step.name}: {self.after} (already current)"
        return f"{self.step.name}: {self.before} → {self.after}"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "update",
        help="update the project and every domain to a newer template release, committing each step",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--vcs-ref",
        metavar="REF",
        help="template tag, branch or commit to update to (default: the newest release tag)",
    )
    parser.add_argument(
        "--project",
        metavar="DIR",
        type=Path,
        default=Path("."),
        help="the service's folder (default: the current folder)",
    )
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="answer one of the service's questions again, e.g. --data auth=jwt; repeat for each",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    require_clean_tree(project.root)
    require_writable(project.root)
    # Every refusal comes before the first step commits anything.
    for answers_file in project.domain_answer_files():
        check_domain_answers(answers_file)
    source = template_source(project)
    data = project_data(source, args)
    identity = commit_identity(project)
    target = args.vcs_ref
    release = newest_release(source) if target is None else None
    if target is None and release is None:
        # Said once here, rather than Copier warning at every step.
        print("The template has no release tags: updating to its latest commit (HEAD).", flush=True)
        target = "HEAD"
    current = already_current(project, source, target or release or "HEAD", args)
    if current:
        print(f"Nothing to update: the project and every domain are at {target or release} already.")
        print("\n".join(f"  {outcome.line()}" for outcome in current))
        return 0
    outcomes: list[Outcome] = []
    for step in steps(project):
        before = recorded_commit(project.root / step.answers_file)
        print(f"Updating the {step.name} (from {before})…", flush=True)
        update_step(project.root, step, target, data if step.answers_file == ANSWERS_FILE else None)
        outcome = Outcome(step, before, recorded_commit(project.root / step.answers_file))
        # Every domain goes to the release the project reached, even if the template moves meanwhile.
        target = outcome.after or target
        conflicts = conflicted_files(project.root)
        if conflicts:
            report_conflicts(args, project.root, outcome, conflicts, outcomes, identity)
            return EXIT_CONFLICTS
        if has_changes(project.root):
            answered = f" with {answered_data(data)}" if data and step.answers_file == ANSWERS_FILE else ""
            message = f"Update {step.name} from template {outcome.before} → {outcome.after}{answered}"
            commit(project.root, message, identity)
        outcomes.append(outcome)
    # The API's contract as the updated code makes it, committed on its own when it changed.
    if contract.report(project.root) and has_changes(project.root):
        commit(project.root, f"Rewrite {contract.FILE}, the API's contract, after the update", identity)
    print("Done; one commit per step that changed files:")
    for outcome in outcomes:
        print(f"  {outcome.line()}")
    if data:
        print(f"  the service's answers: {answered_data(data)}")
    return 0


def already_current(project: Project, source: str, target: str, args: argparse.Namespace) -> list[Outcome]:
    """Each step, if every one is at the target version already (nothing to render, nothing to
    commit), told by git without rendering; otherwise (or when git cannot tell) none."""
    if getattr(args, "data", None) or not Path(source).is_dir():
        return []  # Answers to change, or a template Copier clones: the steps tell.
    if project.answers.get("auth") == "jwt" and not access.auth_answers_file(project.root).is_file():
        return []  # The project step's migration adds the auth domain (copier.yml).
    if target == "HEAD" and template_is_dirty(source):
        return []  # Copier renders HEAD with the template's uncommitted changes.
    recorded = [(step, recorded_commit(project.root / step.answers_file)) for step in steps(project)]
    commits = resolve_commits(source, [target, *(commit or "" for _, commit in recorded)])
    if commits[0] is None or any(commit != commits[0] for commit in commits[1:]):
        return []
    return [Outcome(step, commit, commit) for step, commit in recorded]


def steps(project: Project) -> Iterator[Step]:
    """The project step, then one per domain, listed only once the project step is done."""
    yield Step("project", ANSWERS_FILE)
    for answers_file in project.domain_answer_files():
        name = answers_file.stem.removeprefix("domain-")
        yield Step(f"domain {name}", answers_file.relative_to(project.root).as_posix())


def project_data(source: str, args: argparse.Namespace) -> dict[str, str]:
    """`--data`: new answers to the service's own questions (the project step's), each a question of
    the template at the version updated to."""
    data = questions.parse_data(args.data)
    if data:
        questions.check_keys(data, source, args.vcs_ref or newest_release(source) or "HEAD")
    return data


def answered_data(data: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in data.items())


def commit_identity(project: Project) -> tuple[str, ...]:
    """The `git -c` options that name who commits each step: none when git knows the user, else the
    service's author from its answers, whom `fastapi-domains new` made the first commit as."""
    if all(git(project.root, "var", name).returncode == 0 for name in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT")):
        return ()
    name, email = project.answers.get("author_name"), project.answers.get("author_email")
    if not name or not email:
        raise CliError(
            "git does not know who you are, and the service's answers name no author to commit as: run "
            '`git config --global user.name "Your Name" && git config --global user.email you@example.com`, '
            "then run this again"
        )
    print(f"git does not know who you are: each step is committed as the service's author, {name} <{email}>.")
    return ("-c", f"user.name={name}", "-c", f"user.email={email}")


def update_step(root: Path, step: Step, vcs_ref: str | None, data: dict[str, str] | None = None) -> None:
    # Copier is loaded only for a step to run: refusals and a service already current answer without it.
    with interrupts.deferred():
        import copier  # noqa: PLC0415

    try:
        copier.run_update(
            str(root),
            answers_file=step.answers_file,
            data=data or {},
            vcs_ref=vcs_ref,
            defaults=True,
            overwrite=True,
            unsafe=True,
            quiet=True,
        )
    except Exception as error:  # Copier's own errors, git's run through it, a file it cannot write...
        hint = ""
        if "downgrad" in str(error).lower() and vcs_ref is None:
            # Made from a commit newer than the newest release tag, which is what Copier picks by default.
            hint = " (this service follows the template's commits, not its releases: pass --vcs-ref HEAD)"
        elif has_changes(root):
            # The tree was clean when the update started and earlier steps are committed.
            hint = "; the files it left are only this step's: discard them with `git reset --hard && git clean -fd`"
        raise CliError(f"the update of the {step.name} failed: {one_line(error)}{hint}") from error


def check_domain_answers(answers_file: Path) -> None:
    """A domain's answers must all be there: Copier would silently render defaults for a lost one."""
    answers = read_answers(answers_file)
    if not answers.get("_src_path") or not answers.get("_commit"):
        raise CliError(
            f"{answers_file} lacks _src_path or _commit, the template and version the domain was rendered from, "
            "without which Copier cannot update it (a domain rendered from a plain folder has no _commit)"
        )
    external, auth = external_domain.is_external(answers), access.is_auth(answers)
    recorded = external_domain.RECORDED if external else access.AUTH_RECORDED if auth else domain_answers.RECORDED
    missing = [key for key in recorded if key not in answers]
    if missing:
        raise CliError(
            f"{answers_file} lacks the answer{'s' if len(missing) > 1 else ''} {', '.join(missing)}, which "
            "`copier update` would replace by defaults; restore it from the file's git history"
        )
    if not (external or auth) and (not isinstance(answers["fields"], list) or not answers["fields"]):
        raise CliError(f"{answers_file} has no fields to render: its answer fields is {answers['fields']!r}")


def recorded_commit(answers_file: Path) -> str | None:
    """The template version an answers file was last rendered from (Copier's `_commit`)."""
    return read_answers(answers_file).get("_commit")


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)  # noqa: S603, S607
    except FileNotFoundError as error:
        raise CliError("git is not installed; Copier updates only work in a git repository") from error


def require_writable(root: Path) -> None:
    """Each step writes the project's files, then commits them into its git folder."""
    git_dir = Path(git(root, "rev-parse", "--absolute-git-dir").stdout.strip())
    for folder in (root, git_dir):
        if not os.access(folder, os.W_OK):
            raise CliError(f"{folder} is read-only: the update writes the project's files and commits each step")


def require_clean_tree(root: Path) -> None:
    status = git(root, "status", "--porcelain", "--", ".")
    if status.returncode != 0:
        raise CliError(f"{root} is not in a git repository; run `git init && git add -A && git commit` there first")
    if status.stdout.strip():
        raise CliError(
            f"{root} has uncommitted changes; commit or stash them first (the update commits each step itself)"
        )


def has_changes(root: Path) -> bool:
    return bool(git(root, "status", "--porcelain", "--", ".").stdout.strip())


def changed_files(root: Path) -> list[str]:
    """Files that differ from HEAD or are new, relative to `root`."""
    listing = git(root, "ls-files", "--modified", "--others", "--exclude-standard", "-z").stdout
    return sorted({name for name in listing.split("\0") if name})


def conflicted_files(root: Path) -> list[str]:
    """Files the last Copier run left with conflict markers or `.rej` rejects, or unmerged in git."""
    unmerged = {line.split("\t", 1)[1] for line in git(root, "ls-files", "--unmerged").stdout.splitlines()}
    found = set(unmerged)
    for name in changed_files(root):
        path = root / name
        if name.endswith(".rej") or (path.is_file() and has_conflict_markers(path)):
            found.add(name)
    return sorted(found)


def has_conflict_markers(path: Path) -> bool:
    with path.open("rb") as lines:
        return any(line.rstrip() in CONFLICT_MARKERS for line in lines)


def commit(root: Path, message: str, identity: tuple[str, ...] = ()) -> None:
    added = git(root, "add", "--all", "--", ".")
    # --no-verify: a hook that rewrites files would leave the tree dirty and stop the next step;
    # the commit holds exactly what Copier merged, and the user's hooks run on their next commit.
    committed = added
    if added.returncode == 0:
        committed = git(root, *identity, "commit", "--quiet", "--no-verify", "-m", message)
    if committed.returncode != 0:
        raise CliError(
            f"could not commit the update ({message}): {one_line(committed.stderr or committed.stdout)}; in {root}, "
            f"finish the step with `git add -A && git commit --no-verify -m {shlex.quote(message)}` and run this "
            "command again, or discard it with `git reset --hard && git clean -fd`"
        )


def report_conflicts(
    args: argparse.Namespace,
    root: Path,
    outcome: Outcome,
    conflicts: list[str],
    done: list[Outcome],
    identity: tuple[str, ...] = (),
) -> None:
    resume = ["fastapi-domains", "update", "--vcs-ref", outcome.after or args.vcs_ref or "HEAD"]
    step = f"{outcome.step.name} from template {outcome.before} → {outcome.after}"
    # Where git knows no one, the commit says who makes it, as the update's own commits do.
    git_commit = shlex.join(["git", *identity, "commit"])
    commands = [f'git add -A && {git_commit} -m "Update {step}"', shlex.join(resume)]
    lines = conflict_report(
        f"the update of the {outcome.step.name} ({outcome.before} → {outcome.after})",
        root,
        conflicts,
        "commit and go on",
        commands,
    )
    if done:
        lines.append("Already committed: " + "; ".join(outcome.line() for outcome in done))
    print("\n".join(lines), file=sys.stderr)


def conflict_report(what: str, root: Path, conflicts: list[str], then: str, commands: list[str]) -> list[str]:
    """The lines that list a Copier run's conflicts and say what to run once they are resolved."""
    return [
        f"fastapi-domains: {what} stopped at conflicts in {root}:",
        *(f"  {name}" for name in conflicts),
        f"Resolve them (look for '<<<<<<< before updating'; delete any .rej file), then, in that folder, {then}:",
        *(f"  {command}" for command in commands),
    ]


def one_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
