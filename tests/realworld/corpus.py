"""The real-world corpus: the most downloaded PyPI distributions that ship wheels for the running
interpreter, pinned per Python minor version, installed at run time into one cache folder.

- Ranks come from the environment's PyPI list (/usr/share/package-lists/pypi.tsv, column
  `rank_among_15000_most_downloaded`). `--lock` takes the distributions in rank order, skips each
  that pip cannot install from wheels alone (`--only-binary=:all:`) on this interpreter, resolves
  the rest together and writes `pins/cp3X.txt`: one `name==version` line per distribution
  installed, dependencies included; the corpus members carry a `# rank N` comment.
- At run time `install()` puts every pinned distribution into
  `.cache/realworld/<cache tag>/site` (`pip install --no-deps --only-binary=:all: --target`),
  into a temporary folder first, renamed into place once pip succeeded and a marker file holding
  the lock's digest was written. A folder without the marker, or with another lock's digest, is
  never used.
- Import names are read from each installed distribution's RECORD (the modules and packages it
  ships whose parent is not a regular package of its own), so a namespace package such as
  `google` gives `google.auth`, `google.protobuf`... rather than the whole of `google`.
- `SMOKE` holds, per distribution, one "host calls into it" snippet: the modules it needs and
  Python code that runs in host code with `m` (a dict of those modules) and sets `result` to a
  JSON-able value computed by the package. run.py compares the namespace's result with the
  native one.

    python tests/realworld/corpus.py --lock      # resolve and write pins/<tag>.txt (network)
    python tests/realworld/corpus.py --install   # fill the cache from the lock
    python tests/realworld/corpus.py --show      # the corpus with its import names
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))
import realpkgs  # noqa: E402  (tests/realpkgs.py: the offline switch shared by the PyPI tests)

sys.path.remove(str(HERE.parent))

RANKS = Path("/usr/share/package-lists/pypi.tsv")
PINS = HERE / "pins"
TAG = f"cp{sys.version_info[0]}{sys.version_info[1]}"
CACHE = REPO / ".cache" / "realworld" / sys.implementation.cache_tag
SITE = CACHE / "site"
MARKER = ".realworld-complete"
SIZE = 100
# pip's messages when it cannot reach the index (no network, no DNS, a proxy refusing).
NETWORK_ERRORS = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name "
    r"resolution|Name or service not known|Network is unreachable|Connection refused|"
    r"ConnectTimeoutError|Read timed out|ProxyError|Could not fetch URL|"
    r"No route to host|Max retries exceeded|"
    # Every pinned version was found when the lock was written: none found now means no index.
    r"\(from versions: none\)"
)


class InstallError(Exception):
    """pip could not resolve or install the corpus."""


class NoNetwork(InstallError):
    """The package index cannot be reached (or IMPORTSPACE_OFFLINE=1) and nothing is cached."""


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


# --- the ranked list ---------------------------------------------------------------------------


def ranked(limit: int = 400) -> list[tuple[int, str]]:
    """`(rank, name)` of the `limit` most downloaded distributions, best first."""
    rows = []
    with RANKS.open(encoding="utf-8", errors="replace") as f:
        header = f.readline().rstrip("\n").split("\t")
        col = header.index("rank_among_15000_most_downloaded")
        for line in f:
            cells = line.rstrip("\n").split("\t")
            if len(cells) > col and cells[col].strip().isdigit():
                rank = int(cells[col])
                if rank <= limit:
                    rows.append((rank, cells[0]))
    rows.sort()
    return rows


# --- pip ---------------------------------------------------------------------------------------


def _pip(args: list[str], timeout: float = 1800) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--no-input"]
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"could not run {' '.join(command)}: {exc}") from exc
    return proc


def _failure(proc: subprocess.CompletedProcess, what: str) -> InstallError:
    output = (proc.stdout + proc.stderr).strip()
    tail = "\n".join(output.splitlines()[-15:])
    cls = NoNetwork if NETWORK_ERRORS.search(output) else InstallError
    return cls(f"{what}: pip exited with {proc.returncode}:\n{tail}")


def resolve(requirements: list[str]) -> dict[str, str]:
    """What pip would install for `requirements` from wheels only on this interpreter:
    `{normalized name: version}`. Raises InstallError (NoNetwork without an index)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        proc = _pip(
            [
                "install",
                "--dry-run",
                "--ignore-installed",
                "--only-binary=:all:",
                "--quiet",
                "--report",
                str(report),
                *requirements,
            ]
        )
        if proc.returncode != 0:
            raise _failure(proc, f"resolving {' '.join(requirements[:5])}...")
        data = json.loads(report.read_text())
    return {
        normalize(item["metadata"]["name"]): item["metadata"]["version"] for item in data["install"]
    }


def _check_one(name: str) -> str | None:
    """None if `name` installs from wheels on this interpreter, else why not (one line)."""
    try:
        resolve([name])
    except NoNetwork:
        raise
    except InstallError as exc:
        lines = [ln for ln in str(exc).splitlines() if "ERROR" in ln] or str(exc).splitlines()
        return lines[-1].strip()[:200]
    return None


# --- the lock file -----------------------------------------------------------------------------


def lock_path(tag: str = TAG) -> Path:
    return PINS / f"{tag}.txt"


def read_lock(tag: str = TAG) -> list[tuple[str, str, int | None]]:
    """`(name, version, rank)` per pinned distribution; rank is None for a dependency that is not
    a corpus member."""
    path = lock_path(tag)
    if not path.is_file():
        raise InstallError(f"no lock file {path}: run `python {__file__} --lock` first")
    pins = []
    for line in path.read_text().splitlines():
        body, _, comment = line.partition("#")
        body = body.strip()
        if not body:
            continue
        name, _, version = body.partition("==")
        rank = re.search(r"rank (\d+)", comment)
        pins.append((name.strip(), version.strip(), int(rank.group(1)) if rank else None))
    return pins


def lock_digest(tag: str = TAG) -> str:
    lines = sorted(f"{n}=={v}" for n, v, _ in read_lock(tag))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def lock(size: int = SIZE, jobs: int = 4) -> Path:
    """Resolve the corpus for this interpreter and write pins/<tag>.txt."""
    candidates = ranked()
    skipped: list[tuple[int, str, str]] = []
    selected: list[tuple[int, str]] = []
    checked: dict[str, str | None] = {}
    pos = 0
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        while len(selected) < size and pos < len(candidates):
            batch = candidates[pos : pos + (size - len(selected)) + 5]
            pos += len(batch)
            for (rank, name), why in zip(batch, pool.map(lambda c: _check_one(c[1]), batch)):
                checked[name] = why
                if why is None and len(selected) < size:
                    selected.append((rank, name))
                elif why is not None:
                    skipped.append((rank, name, why))
                    print(f"  skip #{rank} {name}: {why}", file=sys.stderr)
    while True:
        print(f"resolving {len(selected)} distributions together...", file=sys.stderr)
        pins = resolve([name for _, name in selected])
        # A member that installs no importable module (a data-only wheel) is not a library.
        site = Path(tempfile.mkdtemp(prefix="realworld-lock-"))
        try:
            _pip_install_target(site, [f"{n}=={v}" for n, v in pins.items()])
            empty = [(r, n) for r, n in selected if not import_names(site, n)]
        finally:
            shutil.rmtree(site, ignore_errors=True)
        if not empty:
            break
        for rank, name in empty:
            selected.remove((rank, name))
            skipped.append((rank, name, "installs no importable module"))
        while len(selected) < size and pos < len(candidates):
            rank, name = candidates[pos]
            pos += 1
            if _check_one(name) is None:
                selected.append((rank, name))
            else:
                skipped.append((rank, name, "no wheel for this interpreter"))
    ranks = {normalize(n): r for r, n in selected}
    PINS.mkdir(parents=True, exist_ok=True)
    out = lock_path()
    header = [
        f"# The real-world corpus for CPython {sys.version_info[0]}.{sys.version_info[1]} "
        f"(written by `python tests/realworld/corpus.py --lock` on {sys.version.split()[0]}, "
        f"{time.strftime('%Y-%m-%d')}).",
        f"# The {len(selected)} most downloaded distributions with wheels for this interpreter"
        " (`# rank N`: their rank in the environment's PyPI list), resolved together with",
        "# `pip install --only-binary=:all:`, and every dependency. Skipped, by rank:",
        *(f"#   {rank} {name}: {why}" for rank, name, why in sorted(skipped)),
    ]
    body = [
        f"{name}=={version}" + (f"  # rank {ranks[name]}" if name in ranks else "")
        for name, version in sorted(pins.items())
    ]
    out.write_text("\n".join(header + body) + "\n")
    return out


# --- the install -------------------------------------------------------------------------------


def _pip_install_target(folder: Path, requirements: list[str]) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(requirements) + "\n")
    try:
        proc = _pip(
            [
                "install",
                "--no-deps",
                "--only-binary=:all:",
                "--ignore-installed",
                "--no-compile",
                "--quiet",
                "--target",
                str(folder),
                "-r",
                f.name,
            ]
        )
    finally:
        os.unlink(f.name)
    if proc.returncode != 0:
        raise _failure(proc, f"installing into {folder}")


def _complete(folder: Path, digest: str) -> bool:
    try:
        return json.loads((folder / MARKER).read_text()).get("lock") == digest
    except (OSError, ValueError):
        return False


def install(tag: str = TAG) -> Path:
    """The cache folder holding every pinned distribution, installed now unless a complete one
    for this lock is there. Raises NoNetwork without an index (or with IMPORTSPACE_OFFLINE=1)."""
    pins = read_lock(tag)
    digest = lock_digest(tag)
    if _complete(SITE, digest):
        return SITE
    if realpkgs.offline():
        raise NoNetwork(f"{SITE} is not installed and {realpkgs.OFFLINE_ENV}=1")
    CACHE.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for partial in CACHE.glob(".site.partial-*"):
        try:
            if now - partial.stat().st_mtime > realpkgs.STALE_SECONDS:
                shutil.rmtree(partial, ignore_errors=True)
        except OSError:
            pass
    partial = Path(tempfile.mkdtemp(prefix=".site.partial-", dir=CACHE))
    try:
        partial.chmod(0o755)
        print(f"installing {len(pins)} pinned distributions into {SITE}...", file=sys.stderr)
        _pip_install_target(partial, [f"{n}=={v}" for n, v, _ in pins])
        (partial / MARKER).write_text(
            json.dumps({"lock": digest, "python": sys.version, "installed": time.time()}) + "\n"
        )
        if SITE.exists():
            old = CACHE / f".site.old-{os.getpid()}"
            os.rename(SITE, old)
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.rename(partial, SITE)
        except OSError:
            if not _complete(SITE, digest):  # not a concurrent run that finished first
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return SITE


# --- what each distribution installs -----------------------------------------------------------

EXT_SUFFIXES = tuple(s for s in (sysconfig.get_config_var("EXT_SUFFIX"), ".abi3.so", ".so") if s)


def _dist(site: Path, name: str):
    import importlib.metadata as md

    for dist in md.distributions(path=[str(site)]):
        if normalize(dist.metadata["Name"]) == normalize(name):
            return dist
    return None


def _module_of(path: str) -> tuple[str, bool] | None:
    """`(dotted name, is package)` of a file a RECORD lists, None for anything else."""
    parts = path.replace("\\", "/").split("/")
    if parts[0] in ("..", "bin") or parts[0].endswith((".dist-info", ".data")):
        return None
    if "__pycache__" in parts or any(not p.isidentifier() for p in parts[:-1]):
        return None
    last = parts[-1]
    stem = None
    if last.endswith(".py"):
        stem = last[:-3]
    else:
        for suffix in EXT_SUFFIXES:
            if last.endswith(suffix):
                stem = last[: -len(suffix)].split(".")[0]
                break
    if stem is None or not stem.isidentifier():
        return None
    if stem == "__init__":
        return (".".join(parts[:-1]), True) if len(parts) > 1 else None
    return ".".join([*parts[:-1], stem]), False


def _owners(site: Path) -> dict[str, set[str]]:
    """For each folder (dotted) of `site` holding modules: the distributions that put files
    there or below."""
    import importlib.metadata as md

    owners: dict[str, set[str]] = {}
    for dist in md.distributions(path=[str(site)]):
        name = normalize(dist.metadata["Name"])
        for f in dist.files or ():
            found = _module_of(str(f))
            if found:
                parts = found[0].split(".")
                for i in range(1, len(parts) + (1 if found[1] else 0)):
                    owners.setdefault(".".join(parts[:i]), set()).add(name)
    return owners


_OWNERS: dict[str, dict[str, set[str]]] = {}


def import_names(site: Path, name: str) -> list[str]:
    """The top import names distribution `name` installs in `site`, from its RECORD: each
    regular package or module it ships at the top, and each namespace package folder that no
    other distribution shares (so `yaml` and `_yaml`, `google.auth`, `opentelemetry.sdk`, but
    never the whole of `google`)."""
    dist = _dist(site, name)
    if dist is None:
        return []
    owners = _OWNERS.get(str(site))
    if owners is None:
        owners = _OWNERS[str(site)] = _owners(site)
    me = normalize(name)
    modules = set()
    for f in dist.files or ():
        found = _module_of(str(f))
        if found:
            modules.add(found[0])
    tops = set()
    for module in modules:
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            regular = (site.joinpath(*parts[:i]) / "__init__.py").is_file() or any(
                site.joinpath(*parts[:i]).glob("__init__.*")
            )
            if i == len(parts) or regular or owners.get(prefix, {me}) == {me}:
                if parts[i - 1] != "__main__":
                    tops.add(prefix)
                break
    if not tops and dist.read_text("top_level.txt"):
        tops = {t.strip() for t in dist.read_text("top_level.txt").split() if t.strip()}
    return sorted(tops)


def corpus(site: Path, tag: str = TAG) -> list[dict]:
    """The corpus members in rank order: dist, version, rank, imports, smoke."""
    entries = []
    for name, version, rank in read_lock(tag):
        if rank is None:
            continue
        key = normalize(name)
        entries.append(
            {
                "dist": name,
                "version": version,
                "rank": rank,
                "imports": import_names(site, name),
                "smoke": SMOKE.get(key),
            }
        )
    entries.sort(key=lambda e: e["rank"])
    return entries


# --- the --quick subset ------------------------------------------------------------------------

# About 30 members for CI: the compiled ones the issue names (Cython, mypyc, pyo3, Rust, C) and
# pure ones of every size. A name not in this interpreter's corpus is left out.
QUICK = [
    "pydantic",
    "pydantic-core",
    "cryptography",
    "cffi",
    "pycparser",
    "orjson",
    "numpy",
    "pyyaml",
    "charset-normalizer",
    "markupsafe",
    "multidict",
    "yarl",
    "frozenlist",
    "propcache",
    "rpds-py",
    "aiohttp",
    "attrs",
    "packaging",
    "idna",
    "certifi",
    "urllib3",
    "requests",
    "six",
    "python-dateutil",
    "typing-extensions",
    "click",
    "jinja2",
    "pygments",
    "jmespath",
    "annotated-types",
    "pluggy",
    "h11",
    "pyjwt",
    "wrapt",
    "jsonschema",
    "referencing",
    "tomli",
]

# --- the smoke calls ---------------------------------------------------------------------------
# Per distribution (normalized name): the modules to import, and code run as host code with `m`
# holding them, which sets `result` to something JSON-able that the package computed.

SMOKE: dict[str, tuple[list[str], str]] = {}


def _smoke(dist: str, modules: list[str], code: str) -> None:
    SMOKE[normalize(dist)] = (modules, code.strip() + "\n")


# Standard-library modules a call hands to the package (datetime, asyncio, io...) come from `m`
# too where the package checks their types, so that they are the namespace's own there: under
# full isolation a host `datetime` is not an instance of the namespace's (docs/isolation.md).
# Environment variables read by a call are set by run.py before the worker starts (REALWORLD_*).

_smoke(
    "boto3",
    ["boto3", "boto3.session"],
    """
s = m["boto3.session"].Session(
    aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="eu-west-1"
)
c = s.client("s3")
model = c.meta.service_model
result = [c.meta.region_name, model.service_name, sorted(model.operation_names)[:4]]
""",
)
_smoke(
    "packaging",
    ["packaging.version", "packaging.requirements"],
    """
Version = m["packaging.version"].Version
r = m["packaging.requirements"].Requirement('requests[socks]>=2.0,<3; python_version>"3.6"')
result = [
    str(r.specifier), sorted(r.extras), str(r.marker), r.specifier.contains("2.31.0"),
    sorted(["1.10", "1.2", "1.2rc1", "2.0.post1", "1.2.dev3"], key=Version),
]
""",
)
_smoke(
    "urllib3",
    ["urllib3", "urllib3.util"],
    """
u = m["urllib3.util"].parse_url("https://user@example.com:8443/a/b?x=1#f")
result = [u.scheme, u.host, u.port, u.path, u.query, u.fragment, u.auth,
          m["urllib3.util"].make_headers(basic_auth="a:b", keep_alive=True)]
""",
)
_smoke(
    "certifi",
    ["certifi"],
    """
import os
path = m["certifi"].where()
with open(path) as f:
    text = f.read()
result = [os.path.basename(path), text.count("BEGIN CERTIFICATE") > 50]
""",
)
_smoke(
    "idna",
    ["idna"],
    """
idna = m["idna"]
result = [idna.encode("ドメイン.テスト").decode(), idna.decode("xn--eckwd4c7c.xn--zckzah")]
""",
)
_smoke(
    "requests",
    ["requests"],
    """
req = m["requests"].Request(
    "POST", "https://example.com/api", params={"q": "x y"}, json={"a": 1}, auth=("u", "p")
).prepare()
body = req.body.decode() if isinstance(req.body, bytes) else req.body
result = [req.url, body, dict(req.headers)]
""",
)
_smoke(
    "typing-extensions",
    ["typing_extensions"],
    """
te = m["typing_extensions"]
class Movie(te.TypedDict):
    title: str
    year: te.NotRequired[int]
result = [sorted(Movie.__required_keys__), sorted(Movie.__optional_keys__),
          te.get_origin(te.Annotated[int, "x"]) is te.Annotated, repr(te.Literal["a", "b"])]
""",
)
_smoke(
    "charset-normalizer",
    ["charset_normalizer"],
    """
text = "Привет, мир! Это проверка определения кодировки для довольно длинного русского текста."
best = m["charset_normalizer"].from_bytes(text.encode("cp1251")).best()
result = [best.encoding, str(best) == text]
""",
)
_smoke(
    "setuptools",
    ["setuptools", "setuptools.dist"],
    """
d = m["setuptools.dist"].Distribution({"name": "demo-pkg", "version": "1.0", "py_modules": ["x"]})
result = [d.get_name(), d.get_version(), d.metadata.get_fullname(), d.py_modules]
""",
)
_smoke(
    "botocore",
    ["botocore.session"],
    """
s = m["botocore.session"].get_session()
svc = s.get_service_model("dynamodb")
op = svc.operation_model("GetItem")
result = [svc.api_version, svc.protocol, sorted(op.input_shape.required_members)]
""",
)
_smoke(
    "cryptography",
    ["cryptography.hazmat.primitives.hashes", "cryptography.fernet"],
    """
import base64
h = m["cryptography.hazmat.primitives.hashes"]
digest = h.Hash(h.SHA256())
digest.update(b"importspace")
f = m["cryptography.fernet"].Fernet(base64.urlsafe_b64encode(b"k" * 32))
result = [digest.finalize().hex(), f.decrypt(f.encrypt(b"hello")).decode()]
""",
)
_smoke(
    "aiobotocore",
    ["aiobotocore.session", "asyncio"],
    """
async def go():
    s = m["aiobotocore.session"].get_session()
    async with s.create_client(
        "sqs", region_name="us-west-2", aws_access_key_id="a", aws_secret_access_key="b"
    ) as c:
        return [c.meta.region_name, c.meta.service_model.service_name, type(c).__name__]
result = m["asyncio"].run(go())
""",
)
_smoke(
    "python-dateutil",
    ["dateutil.parser", "dateutil.relativedelta", "dateutil.rrule"],
    """
d = m["dateutil.parser"].parse("2024-02-29T13:45:00+02:00")
later = d + m["dateutil.relativedelta"].relativedelta(years=1, months=1)
rr = m["dateutil.rrule"]
days = rr.rrule(rr.WEEKLY, count=3, dtstart=d.replace(tzinfo=None), byweekday=rr.MO)
result = [d.isoformat(), later.isoformat(), [x.isoformat() for x in days]]
""",
)
_smoke(
    "six",
    ["six"],
    """
six = m["six"]
result = [six.ensure_str(b"caf\\xc3\\xa9"), six.PY3, list(six.iteritems({"a": 1})),
          six.moves.urllib.parse.quote("a b")]
""",
)
_smoke(
    "pyyaml",
    ["yaml"],
    """
y = m["yaml"]
doc = y.safe_load("a: [1, 2, {b: c}]\\nd: 2024-01-02\\ne: !!float 1e3\\n")
fast = y.load("k: [v, 2]", Loader=y.CSafeLoader) if y.__with_libyaml__ else None
result = [repr(doc), y.safe_dump({"x": [1, 2], "y": "z"}), fast, y.__with_libyaml__]
""",
)
_smoke(
    "pydantic",
    ["pydantic"],
    """
p = m["pydantic"]
class User(p.BaseModel):
    id: int
    name: str = "anon"
    tags: list = []
u = User.model_validate({"id": "42", "tags": ["a"]})
try:
    User(id="x")
    error = None
except p.ValidationError as exc:
    error = [e["type"] for e in exc.errors()]
result = [u.model_dump(), error, User.model_json_schema()["required"], u.model_dump_json()]
""",
)
_smoke(
    "pygments",
    ["pygments", "pygments.lexers", "pygments.formatters"],
    """
code = "def f(x):\\n    return x + 1  # one\\n"
lexer = m["pygments.lexers"].get_lexer_by_name("python")
fmt = m["pygments.formatters"].get_formatter_by_name("html")
result = [m["pygments"].highlight(code, lexer, fmt),
          m["pygments.lexers"].guess_lexer_for_filename("x.rs", "fn main() {}").name]
""",
)
_smoke(
    "cffi",
    ["cffi"],
    """
ffi = m["cffi"].FFI()
ffi.cdef("int abs(int); size_t strlen(const char *);")
libc = ffi.dlopen(None)
buf = ffi.new("char[]", b"hello")
result = [libc.abs(-7), libc.strlen(buf), ffi.sizeof("int"), ffi.string(buf).decode()]
""",
)
_smoke(
    "click",
    ["click", "click.testing"],
    """
click = m["click"]
@click.command()
@click.option("--count", default=1, type=int)
@click.argument("name")
def hello(count, name):
    for _ in range(count):
        click.echo(f"Hello {name}!")
r = m["click.testing"].CliRunner().invoke(hello, ["--count", "2", "World"])
bad = m["click.testing"].CliRunner().invoke(hello, ["--count", "x", "W"])
result = [r.exit_code, r.output, bad.exit_code]
""",
)
_smoke(
    "numpy",
    ["numpy"],
    """
np = m["numpy"]
a = np.arange(12, dtype=np.float64).reshape(3, 4)
det = np.linalg.det(np.array([[2.0, 1.0], [1.0, 3.0]]))
result = [a.sum(axis=0).tolist(), round(float(det), 9),
          str(a.T.dtype), np.frombuffer(np.int32([1, 2]).tobytes(), dtype=np.int32).tolist(),
          np.array2string(np.linspace(0, 1, 3))]
""",
)
_smoke(
    "pluggy",
    ["pluggy"],
    """
pl = m["pluggy"]
spec, impl = pl.HookspecMarker("demo"), pl.HookimplMarker("demo")
class Spec:
    @spec
    def compute(self, x):
        pass
class Plus:
    @impl
    def compute(self, x):
        return x + 1
class Times:
    @impl(tryfirst=True)
    def compute(self, x):
        return x * 10
pm = pl.PluginManager("demo")
pm.add_hookspecs(Spec)
pm.register(Plus())
pm.register(Times())
result = pm.hook.compute(x=4)
""",
)
_smoke(
    "pycparser",
    ["pycparser.c_parser"],
    """
ast = m["pycparser.c_parser"].CParser().parse("int add(int a, int b) { return a + b; }")
fn = ast.ext[0]
result = [type(fn).__name__, fn.decl.name, [p.name for p in fn.decl.type.args.params]]
""",
)
_smoke(
    "pydantic-core",
    ["pydantic_core", "pydantic_core.core_schema"],
    """
pc, cs = m["pydantic_core"], m["pydantic_core.core_schema"]
v = pc.SchemaValidator(cs.typed_dict_schema({
    "a": cs.typed_dict_field(cs.int_schema()),
    "b": cs.typed_dict_field(cs.list_schema(cs.str_schema())),
}))
try:
    v.validate_python({"a": "x", "b": []})
    error = None
except pc.ValidationError as exc:
    error = exc.error_count()
result = [v.validate_python({"a": "3", "b": ["x"]}), v.validate_json('{"a": 5, "b": []}'),
          pc.to_json({"k": [1, 2]}).decode(), error]
""",
)
_smoke(
    "grpcio-status",
    ["grpc_status.rpc_status", "google.rpc.status_pb2", "google.rpc.code_pb2"],
    """
st = m["google.rpc.status_pb2"].Status(code=m["google.rpc.code_pb2"].NOT_FOUND, message="gone")
s = m["grpc_status.rpc_status"].to_status(st)
result = [str(s.code), s.details, s.trailing_metadata[0][0]]
""",
)
_smoke(
    "anyio",
    ["anyio"],
    """
anyio = m["anyio"]
async def main():
    send, receive = anyio.create_memory_object_stream(10)
    async def produce():
        async with send:
            for i in range(5):
                await send.send(i * i)
    async with anyio.create_task_group() as tg:
        tg.start_soon(produce)
        got = [x async for x in receive]
    return got
result = anyio.run(main)
""",
)
_smoke(
    "s3transfer",
    ["s3transfer.manager", "s3transfer.utils"],
    """
c = m["s3transfer.manager"].TransferConfig(multipart_threshold=5 * 1024 * 1024)
u = m["s3transfer.utils"]
result = [c.multipart_threshold, c.max_request_concurrency,
          u.calculate_num_parts(100 * 1024 * 1024, 8 * 1024 * 1024),
          u.calculate_range_parameter(8, 1, 3)]
""",
)
_smoke(
    "attrs",
    ["attrs"],
    """
attrs = m["attrs"]
@attrs.define
class P:
    x: int
    y: int = attrs.field(default=0, converter=int)
p = P(1, "5")
result = [repr(p), attrs.asdict(p), attrs.fields(P).y.default, p == P(1, 5),
          repr(attrs.evolve(p, x=3))]
""",
)
_smoke(
    "protobuf",
    ["google.protobuf.struct_pb2", "google.protobuf.json_format", "google.protobuf.timestamp_pb2"],
    """
Struct = m["google.protobuf.struct_pb2"].Struct
s = Struct()
s.update({"a": 1, "b": [True, "x"]})
data = s.SerializeToString()
s2 = Struct()
s2.ParseFromString(data)
ts = m["google.protobuf.timestamp_pb2"].Timestamp(seconds=1700000000)
result = [m["google.protobuf.json_format"].MessageToDict(s2), ts.ToJsonString(), len(data)]
""",
)
_smoke(
    "h11",
    ["h11"],
    """
h11 = m["h11"]
client = h11.Connection(h11.CLIENT)
data = client.send(h11.Request(method="GET", target="/x", headers=[("Host", "example.com")]))
data += client.send(h11.EndOfMessage())
server = h11.Connection(h11.SERVER)
server.receive_data(data)
event = server.next_event()
result = [data.decode(), type(event).__name__, event.target.decode(), event.method.decode()]
""",
)
_smoke(
    "pytest",
    ["pytest"],
    """
with open("test_realworld_smoke.py", "w") as f:
    f.write("import pytest\\n@pytest.mark.parametrize('n', [1, 2, 3])\\n"
            "def test_n(n):\\n    assert n < 3\\n")
code = m["pytest"].main(["-q", "-p", "no:cacheprovider", "test_realworld_smoke.py"])
result = [int(code), 0.1 + 0.2 == m["pytest"].approx(0.3)]
""",
)
_smoke(
    "annotated-types",
    ["annotated_types"],
    """
at = m["annotated_types"]
result = [repr(at.Gt(3)), [repr(x) for x in at.Len(1, 5)],
          [repr(x) for x in at.Interval(gt=1, lt=5)]]
""",
)
_smoke(
    "iniconfig",
    ["iniconfig"],
    """
ic = m["iniconfig"].IniConfig("x.ini", data="[pytest]\\naddopts = -q\\nmarkers =\\n  slow\\n")
result = [[s.name for s in ic], dict(ic["pytest"].items())]
""",
)
_smoke(
    "fsspec",
    ["fsspec"],
    """
fs = m["fsspec"].filesystem("memory")
with fs.open("/d/a.txt", "wb") as f:
    f.write(b"hello")
fs.pipe("/d/b.bin", b"\\x00\\x01")
result = [fs.cat("/d/a.txt").decode(), sorted(fs.ls("/d", detail=False)), fs.size("/d/b.bin")]
""",
)
_smoke(
    "httpx",
    ["httpx"],
    """
hx = m["httpx"]
def handler(request):
    return hx.Response(200, json={"path": request.url.path, "q": dict(request.url.params)})
with hx.Client(transport=hx.MockTransport(handler), base_url="https://example.com") as c:
    r = c.get("/items", params={"a": "1"})
result = [r.status_code, r.json(), r.headers["content-type"], str(r.request.url)]
""",
)
_smoke(
    "httpcore",
    ["httpcore"],
    """
hc = m["httpcore"]
u = hc.URL("https://example.com:8443/p?q=1")
r = hc.Request("GET", u, headers=[("Host", "example.com")])
result = [u.scheme.decode(), u.host.decode(), u.port, u.target.decode(), r.method.decode()]
""",
)
_smoke(
    "typing-inspection",
    ["typing_inspection.introspection", "typing"],
    """
ti, t = m["typing_inspection.introspection"], m["typing"]
r = ti.inspect_annotation(
    t.Annotated[t.Optional[int], "meta"], annotation_source=ti.AnnotationSource.ANY
)
result = [repr(r.type), list(r.metadata), sorted(r.qualifiers)]
""",
)
_smoke(
    "pandas",
    ["pandas"],
    """
pd = m["pandas"]
df = pd.DataFrame({"k": ["a", "b", "a", "c"], "v": [1, 2, 3, 4]})
result = [df.groupby("k")["v"].sum().to_dict(), float(df["v"].mean()),
          pd.Timestamp("2024-03-10").day_name(), df.to_csv(index=False),
          pd.to_datetime(["2024-01-01", "2024-01-03"]).diff()[1].days]
""",
)
_smoke(
    "pip",
    ["pip._internal.req.constructors"],
    """
req = m["pip._internal.req.constructors"].install_req_from_line("requests[socks]>=2,<3")
result = [req.name, str(req.specifier), sorted(req.extras)]
""",
)
_smoke(
    "s3fs",
    ["s3fs"],
    """
S3 = m["s3fs"].S3FileSystem
result = [S3.protocol, S3._strip_protocol("s3://bucket/key/x"),
          list(S3(anon=True, skip_instance_cache=True).split_path("s3://bucket/key/x"))]
""",
)
_smoke(
    "markupsafe",
    ["markupsafe"],
    """
ms = m["markupsafe"]
result = [str(ms.escape("<a href='x'>&</a>")), str(ms.Markup("<b>%s</b>") % "<i>"),
          ms.Markup("<p>x</p>").striptags()]
""",
)
_smoke(
    "platformdirs",
    ["platformdirs"],
    """
import os
d = m["platformdirs"].PlatformDirs("demo", "acme", version="1.0")
home = os.path.expanduser("~")
result = [d.user_data_dir.replace(home, "~"), d.user_cache_dir.replace(home, "~"),
          d.site_config_dir]
""",
)
_smoke(
    "python-dotenv",
    ["dotenv"],
    """
import io
values = m["dotenv"].dotenv_values(stream=io.StringIO('A=1\\nB="two words"\\nC=${A}-x\\n# c\\n'))
result = dict(values)
""",
)
_smoke(
    "pathspec",
    ["pathspec"],
    """
spec = m["pathspec"].GitIgnoreSpec.from_lines(["*.pyc", "build/", "!keep.pyc"])
result = sorted(spec.match_files(["a.pyc", "keep.pyc", "build/x", "src/b.py", "src/c.pyc"]))
""",
)
_smoke(
    "pyjwt",
    ["jwt"],
    """
jwt = m["jwt"]
key = "a-secret-of-at-least-thirty-two-bytes!"
token = jwt.encode({"sub": "42", "n": 1}, key, algorithm="HS256")
result = [token, jwt.decode(token, key, algorithms=["HS256"]), jwt.get_unverified_header(token)]
""",
)
_smoke(
    "jinja2",
    ["jinja2"],
    """
env = m["jinja2"].Environment(autoescape=True)
t = env.from_string("{% for x in xs %}<li>{{ x|upper }}</li>{% endfor %}{{ n|default(3) }}")
result = t.render(xs=["a", "<b>"])
""",
)
_smoke(
    "rich",
    ["rich.console", "rich.table"],
    """
import io
console = m["rich.console"].Console(width=40, record=True, color_system=None, file=io.StringIO())
table = m["rich.table"].Table("name", "n", title="demo")
table.add_row("a", "1")
table.add_row("b", "22")
console.print(table)
result = console.export_text()
""",
)
_smoke(
    "jmespath",
    ["jmespath"],
    """
data = {"people": [{"name": "b", "age": 40}, {"name": "a", "age": 35}, {"name": "c", "age": 20}]}
result = m["jmespath"].search("people[?age > `30`].name | sort(@)", data)
""",
)
_smoke(
    "markdown-it-py",
    ["markdown_it"],
    """
md = m["markdown_it"].MarkdownIt("commonmark").enable("table")
result = md.render("# T\\n\\n*x* and `y`\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |\\n")
""",
)
_smoke(
    "aiohttp",
    ["aiohttp", "aiohttp.web", "asyncio"],
    """
aiohttp, web = m["aiohttp"], m["aiohttp.web"]
async def hello(request):
    return web.json_response({"n": request.query.get("n")})
async def main():
    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession(trust_env=False) as s:
            async with s.get(f"http://127.0.0.1:{port}/?n=5") as r:
                return [r.status, await r.json()]
    finally:
        await runner.cleanup()
result = m["asyncio"].run(main())
""",
)
_smoke(
    "filelock",
    ["filelock"],
    """
lock = m["filelock"].FileLock("smoke.lock", timeout=5)
with lock:
    held = lock.is_locked
result = [held, lock.is_locked]
""",
)
_smoke(
    "importlib-metadata",
    ["importlib_metadata"],
    """
im = m["importlib_metadata"]
scripts = {ep.name for ep in im.entry_points(group="console_scripts")}
result = [im.version("zipp"), im.metadata("pyyaml")["Name"],
          sorted(scripts & {"pytest", "pip", "normalizer", "jsonschema", "nope"})]
""",
)
_smoke(
    "yarl",
    ["yarl"],
    """
URL = m["yarl"].URL
u = URL("https://user:pw@example.com:8080/a/b/?x=1&y=2#frag")
result = [u.host, u.port, u.path, dict(u.query), str(u.with_query({"z": "3"})),
          str(u.join(URL("../d"))), str(URL.build(scheme="http", host="h", path="/p q"))]
""",
)
_smoke(
    "starlette",
    ["starlette.applications", "starlette.responses", "starlette.routing", "starlette.testclient"],
    """
rs = m["starlette.responses"]
async def home(request):
    return rs.JSONResponse({"path": request.url.path, "q": request.query_params.get("q")})
app = m["starlette.applications"].Starlette(routes=[m["starlette.routing"].Route("/x", home)])
with m["starlette.testclient"].TestClient(app) as client:
    r = client.get("/x?q=1")
    missing = client.get("/nope").status_code
result = [r.status_code, r.json(), missing]
""",
)
_smoke(
    "multidict",
    ["multidict"],
    """
md = m["multidict"]
d = md.MultiDict([("a", 1), ("b", 2), ("a", 3)])
ci = md.CIMultiDict([("Content-Type", "x")])
result = [d.getall("a"), list(d.items()), ci["content-type"], len(d), repr(md.istr("Ab"))]
""",
)
_smoke(
    "jsonschema",
    ["jsonschema"],
    """
js = m["jsonschema"]
schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}},
          "required": ["n"]}
v = js.Draft202012Validator(schema)
result = [[e.message for e in v.iter_errors({"n": -1})], v.is_valid({"n": 3}),
          [e.message for e in v.iter_errors({})]]
""",
)
_smoke(
    "zipp",
    ["zipp"],
    """
import zipfile
with zipfile.ZipFile("smoke.zip", "w") as z:
    z.writestr("a/b.txt", "hello")
    z.writestr("c.txt", "x")
p = m["zipp"].Path("smoke.zip")
result = [sorted(x.name for x in p.iterdir()), (p / "a" / "b.txt").read_text()]
""",
)
_smoke(
    "uvicorn",
    ["uvicorn", "uvicorn.config"],
    """
async def app(scope, receive, send):
    pass
c = m["uvicorn.config"].Config(app, host="127.0.0.1", port=0, log_level="warning",
                               http="h11", ws="none", lifespan="off")
c.load()
result = [c.http_protocol_class.__name__, type(c.loaded_app).__name__, c.port]
""",
)
_smoke(
    "propcache",
    ["propcache.api"],
    """
pc = m["propcache.api"]
class A:
    def __init__(self):
        self._cache = {}
        self.n = 0
    @pc.under_cached_property
    def v(self):
        self.n += 1
        return self.n * 10
a = A()
result = [a.v, a.v, a.n]
""",
)
_smoke(
    "wheel",
    ["wheel.wheelfile"],
    """
WheelFile = m["wheel.wheelfile"].WheelFile
with WheelFile("demo-1.0-py3-none-any.whl", "w") as w:
    w.writestr("demo/__init__.py", "x = 1\\n")
with WheelFile("demo-1.0-py3-none-any.whl") as w:
    result = [sorted(w.namelist()), w.read("demo-1.0.dist-info/RECORD").decode()]
""",
)
_smoke(
    "mdurl",
    ["mdurl"],
    """
mdurl = m["mdurl"]
u = mdurl.parse("https://a.com:80/p?q#h")
result = [u.protocol, u.hostname, u.port, u.pathname, mdurl.encode("a b/ä"), mdurl.format(u)]
""",
)
_smoke(
    "pyasn1",
    ["pyasn1.type.univ", "pyasn1.codec.der.encoder", "pyasn1.codec.der.decoder"],
    """
univ = m["pyasn1.type.univ"]
seq = univ.SequenceOf(componentType=univ.Integer())
seq.extend([1, 255, 65537])
enc = m["pyasn1.codec.der.encoder"].encode(seq)
dec, rest = m["pyasn1.codec.der.decoder"].decode(
    enc, asn1Spec=univ.SequenceOf(componentType=univ.Integer())
)
result = [enc.hex(), [int(x) for x in dec], rest.hex()]
""",
)
_smoke(
    "pytz",
    ["pytz", "datetime"],
    """
pytz = m["pytz"]
tz = pytz.timezone("Europe/Paris")
d = tz.localize(m["datetime"].datetime(2024, 7, 1, 12, 0))
result = [d.isoformat(), d.tzname(), d.astimezone(pytz.utc).isoformat()]
""",
)
_smoke(
    "google-auth",
    ["google.oauth2.credentials", "google.auth.jwt"],
    """
creds = m["google.oauth2.credentials"].Credentials(token="tok", scopes=["b", "a"])
headers = {}
creds.apply(headers)
result = [headers, creds.valid, sorted(creds.scopes),
          m["google.auth.jwt"].decode(
              "eyJhbGciOiJub25lIn0.eyJzdWIiOiI0MiJ9.", verify=False)]
""",
)
_smoke(
    "googleapis-common-protos",
    ["google.type.date_pb2", "google.rpc.error_details_pb2"],
    """
Date = m["google.type.date_pb2"].Date
data = Date(year=2024, month=2, day=29).SerializeToString()
info = m["google.rpc.error_details_pb2"].ErrorInfo(reason="R", domain="d", metadata={"k": "v"})
result = [data.hex(), Date.FromString(data).day, str(info).split("\\n")[:2]]
""",
)
_smoke(
    "frozenlist",
    ["frozenlist"],
    """
fl = m["frozenlist"].FrozenList([1, 2])
fl.append(3)
fl.freeze()
try:
    fl.append(4)
    error = None
except RuntimeError as exc:
    error = str(exc)
result = [list(fl), fl.frozen, error]
""",
)
_smoke(
    "litellm",
    ["litellm"],
    """
litellm = m["litellm"]
model, provider, _, _ = litellm.get_llm_provider("anthropic/claude-3-5-sonnet-20240620")
result = [model, provider, litellm.get_llm_provider("gpt-4o")[1],
          "gpt-4o" in litellm.model_cost]
""",
)
_smoke(
    "fastapi",
    ["fastapi", "fastapi.testclient", "pydantic"],
    """
fastapi = m["fastapi"]
app = fastapi.FastAPI()
class Item(m["pydantic"].BaseModel):
    name: str
    price: float
@app.post("/items/{item_id}")
def create(item_id: int, item: Item):
    return {"id": item_id, "name": item.name, "total": item.price * 2}
with m["fastapi.testclient"].TestClient(app) as client:
    ok = client.post("/items/3", json={"name": "x", "price": 1.5})
    bad = client.post("/items/x", json={})
result = [ok.json(), bad.status_code, sorted(app.openapi()["paths"])]
""",
)
_smoke(
    "rpds-py",
    ["rpds"],
    """
rpds = m["rpds"]
h = rpds.HashTrieMap({"a": 1}).insert("b", 2)
lst = rpds.List([1, 2, 3]).push_front(0)
result = [sorted(h.items()), list(lst), len(rpds.HashTrieSet([1, 1, 2])), "a" in h]
""",
)
_smoke(
    "tqdm",
    ["tqdm"],
    """
import io
buf = io.StringIO()
bar = m["tqdm"].tqdm(range(5), file=buf, mininterval=0, bar_format="{n}/{total}")
total = sum(bar)
bar.close()
result = [total, bar.n, m["tqdm"].tqdm.format_sizeof(123456789), buf.getvalue().split("\\r")[-1]]
""",
)
_smoke(
    "annotated-doc",
    ["annotated_doc"],
    """
d = m["annotated_doc"].Doc("The user's name")
result = [d.documentation, repr(d), d == m["annotated_doc"].Doc("The user's name")]
""",
)
_smoke(
    "aiosignal",
    ["aiosignal", "asyncio"],
    """
class Owner:
    pass
signal = m["aiosignal"].Signal(Owner())
got = []
async def callback(x):
    got.append(x * 2)
signal.append(callback)
signal.freeze()
m["asyncio"].run(signal.send(21))
result = [got, signal.frozen, len(signal)]
""",
)
_smoke(
    "referencing",
    ["referencing", "referencing.jsonschema"],
    """
ref = m["referencing"]
resource = ref.Resource.from_contents({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:x", "$defs": {"a": {"type": "integer"}},
})
registry = ref.Registry().with_resource("urn:x", resource)
resolved = registry.resolver().lookup("urn:x#/$defs/a")
result = [resolved.contents, resource.id(), registry.contents("urn:x")["$defs"]]
""",
)
_smoke(
    "jsonschema-specifications",
    ["jsonschema_specifications"],
    """
reg = m["jsonschema_specifications"].REGISTRY
uri = "https://json-schema.org/draft/2020-12/schema"
result = [len(list(reg)) > 5, reg.contents(uri)["$id"], sorted(reg.contents(uri))[:3]]
""",
)
_smoke(
    "trove-classifiers",
    ["trove_classifiers"],
    """
tc = m["trove_classifiers"]
result = ["Programming Language :: Python :: 3" in tc.classifiers, len(tc.classifiers) > 500,
          sorted(tc.deprecated_classifiers)[:2]]
""",
)
_smoke(
    "tzdata",
    ["tzdata", "importlib.resources"],
    """
data = m["importlib.resources"].files("tzdata.zoneinfo").joinpath("Europe/Paris").read_bytes()
result = [data[:4].decode(), len(data) > 100, m["tzdata"].IANA_VERSION]
""",
)
_smoke(
    "google-api-core",
    ["google.api_core.path_template", "google.api_core.exceptions"],
    """
pt, ex = m["google.api_core.path_template"], m["google.api_core.exceptions"]
err = ex.from_http_status(404, "nope")
result = [pt.expand("projects/{project}/topics/{topic}", project="p", topic="t"),
          type(err).__name__, err.code, pt.validate("projects/*/topics/*", "projects/p/topics/t")]
""",
)
_smoke(
    "aiohappyeyeballs",
    ["aiohappyeyeballs", "asyncio"],
    """
import socket
ah = m["aiohappyeyeballs"]
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
port = listener.getsockname()[1]
async def connect():
    sock = await ah.start_connection(ah.addr_to_addr_infos(("127.0.0.1", port)))
    try:
        return sock.getpeername()[1] == port
    finally:
        sock.close()
infos = ah.addr_to_addr_infos(("::1", 80, 0, 0)) + ah.addr_to_addr_infos(("127.0.0.1", 80))
ah.pop_addr_infos_interleave(infos, 1)
result = [m["asyncio"].run(connect()), [list(i) for i in infos]]
listener.close()
""",
)
_smoke(
    "pillow",
    ["PIL.Image", "PIL.ImageDraw"],
    """
import io
Image = m["PIL.Image"]
im = Image.new("RGB", (32, 16), "white")
m["PIL.ImageDraw"].Draw(im).rectangle([4, 4, 12, 12], fill=(255, 0, 0))
buf = io.BytesIO()
im.save(buf, "PNG")
again = Image.open(io.BytesIO(buf.getvalue()))
again.load()
result = [again.size, again.mode, again.getpixel((8, 8)), again.format,
          im.convert("L").histogram()[76]]
""",
)
_smoke(
    "virtualenv",
    ["virtualenv"],
    """
session = m["virtualenv"].session_via_cli(["--no-seed", "--without-pip", "smoke-venv"])
result = [type(session.creator).__name__, session.creator.dest.name]
""",
)
_smoke(
    "greenlet",
    ["greenlet"],
    """
g = m["greenlet"]
def child(x):
    y = g.getcurrent().parent.switch(x + 1)
    return y * 2
gr = g.greenlet(child)
result = [gr.switch(1), gr.switch(10), gr.dead]
""",
)
_smoke(
    "colorama",
    ["colorama", "colorama.ansi"],
    """
c = m["colorama"]
result = [c.Fore.RED + "x" + c.Style.RESET_ALL, m["colorama.ansi"].clear_screen(),
          m["colorama.ansi"].set_title("t")]
""",
)
_smoke(
    "pyasn1-modules",
    [
        "pyasn1_modules.rfc2459",
        "pyasn1.type.univ",
        "pyasn1.codec.der.encoder",
        "pyasn1.codec.der.decoder",
    ],
    """
rfc = m["pyasn1_modules.rfc2459"]
alg = rfc.AlgorithmIdentifier()
alg["algorithm"] = m["pyasn1.type.univ"].ObjectIdentifier("1.2.840.113549.1.1.11")
enc = m["pyasn1.codec.der.encoder"].encode(alg)
dec, _ = m["pyasn1.codec.der.decoder"].decode(enc, asn1Spec=rfc.AlgorithmIdentifier())
result = [enc.hex(), str(dec["algorithm"])]
""",
)
_smoke(
    "typer",
    ["typer", "typer.testing"],
    """
typer = m["typer"]
app = typer.Typer()
@app.command()
def greet(name: str, times: int = 1):
    for _ in range(times):
        typer.echo(f"hi {name}")
r = m["typer.testing"].CliRunner().invoke(app, ["bob", "--times", "2"])
result = [r.exit_code, r.output]
""",
)
_smoke(
    "grpcio",
    ["grpc", "concurrent.futures"],
    """
grpc = m["grpc"]
def reverse(request, context):
    return request[::-1]
handler = grpc.method_handlers_generic_handler(
    "demo.Echo", {"Rev": grpc.unary_unary_rpc_method_handler(reverse)}
)
server = grpc.server(m["concurrent.futures"].ThreadPoolExecutor(2))
server.add_generic_rpc_handlers((handler,))
port = server.add_insecure_port("127.0.0.1:0")
server.start()
try:
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.enable_http_proxy", 0)]) as ch:
        reply = ch.unary_unary("/demo.Echo/Rev")(b"hello", timeout=20)
finally:
    server.stop(None)
result = reply.decode()
""",
)
_smoke(
    "opentelemetry-sdk",
    [
        "opentelemetry.sdk.trace",
        "opentelemetry.sdk.trace.export",
        "opentelemetry.sdk.trace.export.in_memory_span_exporter",
    ],
    """
sdk = m["opentelemetry.sdk.trace"]
exporter = m["opentelemetry.sdk.trace.export.in_memory_span_exporter"].InMemorySpanExporter()
provider = sdk.TracerProvider()
provider.add_span_processor(m["opentelemetry.sdk.trace.export"].SimpleSpanProcessor(exporter))
tracer = provider.get_tracer("smoke")
with tracer.start_as_current_span("outer") as span:
    span.set_attribute("k", 1)
    with tracer.start_as_current_span("inner"):
        pass
spans = exporter.get_finished_spans()
result = [[s.name for s in spans], spans[1].attributes["k"],
          spans[0].parent.span_id == spans[1].context.span_id]
""",
)
_smoke(
    "tenacity",
    ["tenacity"],
    """
te = m["tenacity"]
calls = []
@te.retry(stop=te.stop_after_attempt(4), wait=te.wait_none(),
          retry=te.retry_if_exception_type(ValueError))
def flaky():
    calls.append(1)
    if len(calls) < 3:
        raise ValueError("again")
    return "ok"
result = [flaky(), len(calls), flaky.statistics.get("attempt_number")]
""",
)
_smoke(
    "wrapt",
    ["wrapt"],
    """
wrapt = m["wrapt"]
@wrapt.decorator
def twice(wrapped, instance, args, kwargs):
    return wrapped(*args, **kwargs) * 2
@twice
def f(x):
    "doc"
    return x + 1
proxy = wrapt.ObjectProxy([1, 2])
result = [f(3), f.__name__, f.__doc__, len(proxy), isinstance(proxy, list)]
""",
)
_smoke(
    "requests-oauthlib",
    ["requests_oauthlib"],
    """
s = m["requests_oauthlib"].OAuth2Session(
    "client-id", redirect_uri="https://app.example/cb", scope=["read"], state="fixed"
)
result = list(s.authorization_url("https://auth.example.com/authorize"))
""",
)
_smoke(
    "opentelemetry-api",
    ["opentelemetry.baggage", "opentelemetry.propagate"],
    """
baggage, propagate = m["opentelemetry.baggage"], m["opentelemetry.propagate"]
ctx = baggage.set_baggage("user", "42")
carrier = {}
propagate.inject(carrier, context=ctx)
result = [carrier, baggage.get_baggage("user", propagate.extract(carrier))]
""",
)
_smoke(
    "pyarrow",
    ["pyarrow", "pyarrow.compute"],
    """
pa, pc = m["pyarrow"], m["pyarrow.compute"]
t = pa.table({"a": [1, 2, 3, None], "b": ["x", "y", "x", "z"]})
result = [t.num_rows, pc.sum(t["a"]).as_py(),
          t.group_by("b").aggregate([("a", "count")]).sort_by("b").to_pydict(), str(t.schema)]
""",
)
_smoke(
    "awscli",
    ["awscli.clidriver", "awscli.customizations.s3.utils"],
    """
driver = m["awscli.clidriver"].create_clidriver()
table = driver._get_command_table()
result = [len(table) > 100, "s3" in table, "ec2" in table,
          list(m["awscli.customizations.s3.utils"].split_s3_bucket_key("s3://bucket/a/b"))]
""",
)
_smoke(
    "websockets",
    ["websockets.sync.server", "websockets.sync.client", "threading"],
    """
server_mod, client_mod = m["websockets.sync.server"], m["websockets.sync.client"]
def echo(ws):
    for message in ws:
        ws.send(message[::-1])
with server_mod.serve(echo, "127.0.0.1", 0) as server:
    thread = m["threading"].Thread(target=server.serve_forever)
    thread.start()
    try:
        port = server.socket.getsockname()[1]
        with client_mod.connect(f"ws://127.0.0.1:{port}") as ws:
            ws.send("hello")
            result = ws.recv(timeout=20)
    finally:
        server.shutdown()
        thread.join()
""",
)
_smoke(
    "opentelemetry-semantic-conventions",
    ["opentelemetry.semconv.attributes.http_attributes"],
    """
a = m["opentelemetry.semconv.attributes.http_attributes"]
result = [a.HTTP_REQUEST_METHOD, a.HTTP_RESPONSE_STATUS_CODE, a.HttpRequestMethodValues.GET.value]
""",
)
_smoke(
    "python-multipart",
    ["python_multipart", "python_multipart.multipart"],
    """
import io
pm = m["python_multipart"]
fields = {}
def on_field(field):
    fields[field.field_name.decode()] = field.value.decode()
def on_file(file):
    fields[file.field_name.decode()] = "file"
body = b"a=1&b=two%21"
pm.parse_form({"Content-Type": "application/x-www-form-urlencoded",
               "Content-Length": str(len(body))}, io.BytesIO(body), on_field, on_file)
ctype, options = m["python_multipart.multipart"].parse_options_header(
    "multipart/form-data; boundary=abc"
)
result = [fields, ctype.decode(), {k.decode(): v.decode() for k, v in options.items()}]
""",
)
_smoke(
    "scipy",
    ["scipy.optimize", "scipy.linalg", "scipy.special", "numpy"],
    """
np = m["numpy"]
r = m["scipy.optimize"].minimize_scalar(lambda x: (x - 2.5) ** 2 + 1)
x = m["scipy.linalg"].solve(np.array([[3.0, 2.0], [1.0, 2.0]]), np.array([2.0, 0.0]))
result = [round(float(r.x), 6), round(float(r.fun), 6), x.round(6).tolist(),
          float(m["scipy.special"].gamma(5.0))]
""",
)
_smoke(
    "sniffio",
    ["sniffio", "asyncio"],
    """
sniffio = m["sniffio"]
async def which():
    return sniffio.current_async_library()
try:
    sniffio.current_async_library()
    outside = None
except sniffio.AsyncLibraryNotFoundError as exc:
    outside = type(exc).__name__
result = [m["asyncio"].run(which()), outside]
""",
)
_smoke(
    "pydantic-settings",
    ["pydantic_settings"],
    """
ps = m["pydantic_settings"]
class Settings(ps.BaseSettings):
    model_config = ps.SettingsConfigDict(env_prefix="REALWORLD_")
    port: int = 0
    names: list = []
    debug: bool = False
result = Settings().model_dump()
""",
)
_smoke(
    "sqlalchemy",
    ["sqlalchemy", "sqlalchemy.orm"],
    """
sa, orm = m["sqlalchemy"], m["sqlalchemy.orm"]
class Base(orm.DeclarativeBase):
    pass
class User(Base):
    __tablename__ = "users"
    id = orm.mapped_column(sa.Integer, primary_key=True)
    name = orm.mapped_column(sa.String(30))
engine = sa.create_engine("sqlite://")
Base.metadata.create_all(engine)
with orm.Session(engine) as session:
    session.add_all([User(name="a"), User(name="b")])
    session.commit()
    names = session.scalars(sa.select(User.name).order_by(User.name.desc())).all()
query = sa.select(User.name).where(User.id == 1)
result = [list(names), str(query.compile(compile_kwargs={"literal_binds": True}))]
""",
)
_smoke(
    "pyparsing",
    ["pyparsing"],
    """
pp = m["pyparsing"]
integer = pp.Word(pp.nums).set_parse_action(lambda t: int(t[0]))
expr = integer + pp.ZeroOrMore(pp.Suppress(",") + integer)
result = [expr.parse_string("1, 2,3").as_list(), str(pp.Word(pp.alphas))]
""",
)
_smoke(
    "shellingham",
    ["shellingham"],
    """
sh = m["shellingham"]
try:
    found = list(sh.detect_shell())
except sh.ShellDetectionFailure as exc:
    found = type(exc).__name__
result = found
""",
)
_smoke(
    "tomli",
    ["tomli"],
    """
result = m["tomli"].loads('a = 1\\n[t]\\nb = "x"\\nc = [1.5, true]\\nd = 2024-01-02\\n')
""",
)
_smoke(
    "lxml",
    ["lxml.etree"],
    """
etree = m["lxml.etree"]
root = etree.fromstring(b"<r><a k='1'>x</a><a k='2'>y</a></r>")
result = [root.xpath("//a[@k='2']/text()"), etree.tostring(root[0]).decode(), len(root)]
""",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--lock", action="store_true", help="resolve and write pins/<tag>.txt")
    group.add_argument("--install", action="store_true", help="fill the cache from the lock")
    group.add_argument("--show", action="store_true", help="print the corpus (installs first)")
    parser.add_argument("--size", type=int, default=SIZE)
    args = parser.parse_args()
    try:
        if args.lock:
            print(lock(args.size))
        elif args.install:
            print(install())
        else:
            site = install()
            for e in corpus(site):
                smoke = "smoke" if e["smoke"] else "NO SMOKE"
                print(f"{e['rank']:4} {e['dist']}=={e['version']}: {e['imports']} [{smoke}]")
    except NoNetwork as exc:
        print(f"skipped: no network ({exc})")
        return 0
    except InstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
