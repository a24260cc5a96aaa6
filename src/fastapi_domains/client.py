"""`fastapi-domains client python|typescript`: a typed client of the service's API, generated from
its committed contract (`openapi.json`) by a well-kept generator, into `clients/<language>/`.

Python: openapi-python-client (run by `uvx`), an installable package with sync and async calls
named after the operation ids (`customers_create.asyncio(client=..., body=...)`). TypeScript:
@hey-api/openapi-ts (run by `npx`, so Node.js must be installed), a fetch client with an SDK
function per operation (`customersCreate`) and a `tsconfig.json` to check it with `tsc --noEmit`.
The generator writes into a scratch folder: the client's folder is replaced only when it succeeded.
"""

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from fastapi_domains import contract
from fastapi_domains.errors import CliError
from fastapi_domains.project import load_project

# The generators, at versions known to work with the services' OpenAPI 3.1 documents (and Node 20).
PYTHON_GENERATOR = "openapi-python-client>=0.26,<0.30"
TYPESCRIPT_GENERATOR = ("@hey-api/openapi-ts@^0.94", "typescript@^5.5")
TIMEOUT = 600
# A folder holding one of these was written by this command: it may be replaced.
MARKERS = {"python": "pyproject.toml", "typescript": "sdk.gen.ts"}
TSCONFIG = {
    "compilerOptions": {
        "target": "es2022",
        "module": "nodenext",
        "moduleResolution": "nodenext",
        "lib": ["es2022", "dom", "dom.iterable"],
        "strict": True,
        "skipLibCheck": True,
        "noEmit": True,
    },
    "include": ["**/*.ts"],
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "client",
        help="generate a typed client of the service's API from openapi.json (python or typescript)",
        description="Generate a typed client of the service's API from its committed openapi.json: `python` with "
        "openapi-python-client (an installable package, sync and async), `typescript` with @hey-api/openapi-ts "
        "(needs Node.js). The client's folder is replaced only when generation succeeds.",
    )
    parser.add_argument("language", choices=sorted(MARKERS), help="the client's language")
    parser.add_argument("--out", type=Path, metavar="DIR", help="where to write it (default: clients/<language>)")
    parser.add_argument("--project", type=Path, default=Path(), metavar="DIR", help="the service (default: .)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    root = load_project(args.project).root
    document = root / contract.FILE
    if not document.is_file():
        raise CliError(f"{root} has no {contract.FILE}: write it first with `fastapi-domains openapi`")
    try:
        json.loads(document.read_text())
    except (OSError, ValueError) as error:
        raise CliError(f"{document} is not valid JSON ({error}): rewrite it with `fastapi-domains openapi`") from error
    out = (args.out if args.out is not None else root / "clients" / args.language).resolve()
    check_out(out, args.language)
    command = python_command if args.language == "python" else typescript_command
    with tempfile.TemporaryDirectory(prefix="fastapi-domains-client-") as scratch:
        generated = Path(scratch) / "client"
        result = run(command(document, generated), cwd=Path(scratch))
        if result.returncode != 0 or not (generated / MARKERS[args.language]).is_file():
            lines = [line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip()]
            raise CliError(f"the {args.language} client could not be generated: {lines[-1] if lines else 'no output'}")
        if args.language == "typescript":
            (generated / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(generated, out)
    print(f"Wrote the {args.language} client of {contract.FILE} to {out}")
    if args.language == "python":
        print(f"Install it with `uv pip install {out}` (or `uv add {out}` in the project that calls the API).")
    else:
        print(f"Check it with `npx -p typescript tsc -p {out}`; copy or import it into the front end.")
    return 0


def check_out(out: Path, language: str) -> None:
    """Refuse a folder that holds anything but a client this command wrote."""
    if out.exists() and not out.is_dir():
        raise CliError(f"{out} is a file, not a folder for the client")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKERS[language]).is_file():
        raise CliError(f"{out} holds other files (no {MARKERS[language]}): give an empty or new folder with --out")


def python_command(document: Path, output: Path) -> list[str]:
    uvx = shutil.which("uvx") or shutil.which("uv")
    if uvx is None:
        raise CliError(f"uv is not installed: {contract.INSTALL_UV}")
    runner = [uvx] if Path(uvx).name.startswith("uvx") else [uvx, "tool", "run"]
    return [
        *runner,
        *("--from", PYTHON_GENERATOR, "openapi-python-client", "generate"),
        *("--path", str(document), "--output-path", str(output), "--meta", "uv", "--overwrite"),
    ]


def typescript_command(document: Path, output: Path) -> list[str]:
    npx = shutil.which("npx")
    if shutil.which("node") is None or npx is None:
        raise CliError(
            "Node.js is not installed: the TypeScript client is generated by @hey-api/openapi-ts, which runs on it; "
            "install Node.js 20 or newer (https://nodejs.org), or generate the Python client"
        )
    packages = [part for package in TYPESCRIPT_GENERATOR for part in ("-p", package)]
    return [npx, "--yes", *packages, "openapi-ts", "-i", str(document), "-o", str(output)]


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False)  # noqa: S603
    except subprocess.TimeoutExpired as error:
        raise CliError(f"the client generator did not finish within {TIMEOUT} s") from error
