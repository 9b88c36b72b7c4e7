"""Hostile input: fuzzed scenario and sweep files through ``simpolicy validate``.

Every file here is invalid by construction (a mutation that no schema may accept, or bytes
that are not even YAML), so the contract is exact: exit 2, nothing on stdout, and on stderr
only ``FILE:LINE: field.path: message`` lines naming the file; never a traceback, never an
exit 1, never a hang, never a file created by a YAML tag. Most cases go through the CLI's
own ``main()`` in this process (fast); a smaller number through the real console script in a
subprocess, ten files per call.

Each known-bad input class that the product once failed has a test of its own, so one
defect makes one named test red instead of hiding the others behind hypothesis' shrinking.

CI runs a few hundred cases; ``SIMPOLICY_NIGHTLY=1`` selects the nightly profile (thousands).
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import os
import re
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from simpolicy.cli.main import main
from simpolicy.experiments.spec import SweepSpec
from simpolicy.scenario.schema import Scenario
from simpolicy.scenario.yamlio import _inner_model, read_yaml

ROOT = Path(__file__).resolve().parents[1]
NIGHTLY = os.environ.get("SIMPOLICY_NIGHTLY") == "1"
_SUPPRESS = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
             HealthCheck.filter_too_much]
# CI: reproducible examples and no shrinking (a failure is reported as found, in bounded time)
settings.register_profile("simpolicy-ci", deadline=None, derandomize=True, database=None,
                          suppress_health_check=_SUPPRESS, print_blob=True,
                          phases=[Phase.explicit, Phase.generate])
settings.register_profile("simpolicy-nightly", deadline=None, derandomize=False, database=None,
                          suppress_health_check=_SUPPRESS, print_blob=True)
PROFILE = settings.get_profile("simpolicy-nightly" if NIGHTLY else "simpolicy-ci")


def cases(ci: int, nightly: int) -> settings:
    """Hypothesis settings with the example count of the selected profile."""
    return settings(PROFILE, max_examples=nightly if NIGHTLY else ci)


MAX_CPU_SECONDS = 20.0  # a case using more CPU than this counts as a hang (wall time varies with load)
SENTINEL = "PWNED_BY_YAML_TAG"
SCENARIO_FILES = sorted(p for p in (ROOT / "scenarios").glob("*.yaml")
                        if p.name not in ("behaviour.yaml", "schema.json"))
SWEEP_FILES = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))
NOT_A_NUMBER = "not-a-number \u2603"
SAFE_KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12)


# --- checking one file -------------------------------------------------------------------

def validate_in_process(path: Path) -> tuple[int, str, str]:
    """``simpolicy --debug validate PATH`` through the CLI's main() (tracebacks would show)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["--debug", "validate", str(path)])
    return rc, out.getvalue(), err.getvalue()


def assert_located_lines(stderr: str, files: list[str]) -> None:
    """Only FILE:LINE: field.path: message lines, at least one for every file."""
    lines = stderr.removesuffix("\n").split("\n") if stderr else []
    assert lines, "no problem reported"
    assert "Traceback" not in stderr, stderr
    seen = set()
    for line in lines:
        match = next((f for f in files if line.startswith(f + ":")), None)
        assert match is not None, f"line not naming an input file: {line!r}\n{stderr}"
        rest = line[len(match) + 1:]
        assert re.fullmatch(r"\d+: [^\r]+?: [^\r]+", rest), f"not FILE:LINE: field: message: {line!r}"
        seen.add(match)
    assert seen == set(files), f"files without a reported problem: {set(files) - seen}"


def assert_rejected(path: Path, sentinel_dir: Path | None = None) -> None:
    """The contract for one invalid file, checked in this process."""
    t0 = time.process_time()
    rc, out, err = validate_in_process(path)
    elapsed = time.process_time() - t0
    assert rc == 2, f"exit {rc} for {path.name}:\n{err}"
    assert out == "", out
    assert_located_lines(err, [str(path)])
    assert elapsed < MAX_CPU_SECONDS, f"{elapsed:.1f} s of CPU"
    if sentinel_dir is not None:
        assert not list(sentinel_dir.glob(SENTINEL + "*")), "a YAML tag executed code"


# --- the valid files we start from ------------------------------------------------------

@cache
def _base(path: str) -> dict:
    data, _ = read_yaml(path)
    return data


def base_files(kind: str) -> list[str]:
    return [str(p) for p in (SCENARIO_FILES if kind == "scenario" else SWEEP_FILES)]


def walk(data, path=()):
    """Every node of parsed YAML as (path, value), the root excluded."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield path + (k,), v
            yield from walk(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield path + (i,), v
            yield from walk(v, path + (i,))


_model_of = _inner_model  # the schema's own helper: the model inside an annotation


def required_paths(model: type[BaseModel], data, path=()):
    """Paths of fields the schema requires and the file has (deleting one is always invalid)."""
    if not isinstance(data, dict):
        return
    for name, info in model.model_fields.items():
        if name not in data:
            continue
        if info.is_required():
            yield path + (name,)
        inner = _model_of(info.annotation)
        value = data[name]
        if inner is None:
            continue
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from required_paths(inner, item, path + (name, i))
        elif isinstance(value, dict) and "dict" not in str(info.annotation):
            yield from required_paths(inner, value, path + (name,))
        elif isinstance(value, dict):  # dict[str, Model]: e.g. a sweep's parameters
            for k, item in value.items():
                yield from required_paths(inner, item, path + (name, k))
                # a parameter needs levels, or both low and high
                yield from (path + (name, k, f) for f in ("levels", "low", "high")
                            if isinstance(item, dict) and f in item)


def _get(data, path):
    for p in path:
        data = data[p]
    return data


def _set(data, path, value):
    _get(data, path[:-1])[path[-1]] = value


def _delete(data, path):
    del _get(data, path[:-1])[path[-1]]


def is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# --- mutations that no schema may accept ---------------------------------------------------

MUTATIONS = ("unknown_field", "missing_field", "wrong_container", "string_for_number",
             "negative", "nan", "negative_inf", "yaml_tag", "aliases", "deep_nesting")
THEME_SHARES = "themes"  # NaN theme shares have their own test (one defect, one red test)


@st.composite
def mutated(draw, kind: str, mutation: str) -> tuple[str, bytes]:
    """A bundled file with one mutation that makes it invalid; returns (file name, bytes)."""
    base = draw(st.sampled_from(base_files(kind)))
    data = copy.deepcopy(_base(base))
    nodes = list(walk(data))
    numbers = [p for p, v in nodes if is_number(v)]
    event(f"{kind}: {mutation}")
    suffix = ""
    if mutation == "unknown_field":
        maps = [()] + [p for p, v in nodes if isinstance(v, dict)]
        where = draw(st.sampled_from(maps))
        key = "zz_" + draw(SAFE_KEY)
        _get(data, where)[key] = {"x": [1]}  # a mapping is wrong even where any key is allowed
    elif mutation == "missing_field":
        model = Scenario if kind == "scenario" else SweepSpec
        _delete(data, draw(st.sampled_from(list(required_paths(model, data)))))
    elif mutation == "wrong_container":
        path, value = draw(st.sampled_from(nodes))
        bad = [1] if isinstance(value, dict) else {"zz_bad": [1]} if isinstance(value, list) \
            else [{"zz_bad": 1}]
        _set(data, path, bad)
    elif mutation == "string_for_number":
        _set(data, draw(st.sampled_from(numbers)), NOT_A_NUMBER)
    elif mutation == "negative":
        path = draw(st.sampled_from(numbers))
        _set(data, path, -abs(_get(data, path)) - draw(st.sampled_from([1, 0.5, 1e6, 10**30])))
    elif mutation == "nan":
        _set(data, draw(st.sampled_from([p for p in numbers if THEME_SHARES not in p])), math.nan)
    elif mutation == "negative_inf":
        _set(data, draw(st.sampled_from(numbers)), -math.inf)
    elif mutation == "yaml_tag":
        path = draw(st.sampled_from([p for p, v in nodes if not isinstance(v, dict | list)]))
        _set(data, path, "@@TAG@@")
        suffix = draw(st.sampled_from(TAGS))
    elif mutation in ("aliases", "alias_bomb"):
        # anchors and aliases where a plain value belongs: small here, exploding in the bomb test
        fan, depth = (draw(st.integers(2, 4)), draw(st.integers(1, 4))) if mutation == "aliases" \
            else (draw(st.integers(5, 12)), draw(st.integers(8, 14)))
        where = draw(st.sampled_from([p for p, v in nodes if not isinstance(v, dict | list)]))
        _set(data, where, "@@BOMB@@")
        suffix = _bomb(fan, depth)
    elif mutation == "deep_nesting":
        path = draw(st.sampled_from([p for p, v in nodes if not isinstance(v, dict | list)]))
        _set(data, path, "@@DEEP@@")
        depth = draw(st.one_of(st.integers(1, 60), st.integers(60, 5000)))
        opener, closer = draw(st.sampled_from([("{a: ", "}"), ("[", "]")]))
        suffix = opener * depth + "1" + closer * depth
    text = dump(data)
    for marker in ("'@@TAG@@'", "'@@BOMB@@'", "'@@DEEP@@'"):
        text = text.replace(marker, suffix)
    return Path(base).stem, text.encode()


TAGS = (
    f"!!python/object/apply:os.system ['touch {{dir}}/{SENTINEL}_system']",
    f"!!python/object/apply:builtins.open ['{{dir}}/{SENTINEL}_open', 'w']",
    f"!!python/object/new:pathlib.Path ['{{dir}}/{SENTINEL}_path']",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple [1, 2]",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!timestamp 2001-12-14",
    "!custom_tag value",
    "!<tag:evil.example,2024:x> 1",
)


def _bomb(fan: int, depth: int) -> str:
    """A billion-laughs value in flow style: each level lists the previous one `fan` times."""
    levels = ["&l0 [lol, lol]"]
    for i in range(1, depth):
        levels.append(f"&l{i} [" + ", ".join([f"*l{i - 1}"] * fan) + "]")
    # all anchors must be defined before use, so nest the definitions in one flow sequence
    return "[" + ", ".join(levels) + "]"


def dump(data) -> str:
    """YAML text of data (libyaml's emitter when present: generation stays cheap)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=10_000)


def write_case(tmp: Path, name: str, raw: bytes) -> Path:
    text = raw.replace(b"{dir}", str(tmp).encode())
    path = tmp / f"{name}-{abs(hash(text)) % 10**10}.yaml"
    path.write_bytes(text)
    return path


def assert_case_rejected(tmp: Path, name: str, raw: bytes, sentinel_dir: Path | None = None) -> None:
    """Writes one case, checks the contract on it and removes it (the fuzz makes thousands)."""
    path = write_case(tmp, name, raw)
    try:
        assert_rejected(path, sentinel_dir)
    finally:
        path.unlink()


@pytest.fixture(scope="module")
def casedir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile")


# --- the fuzz tests ------------------------------------------------------------------------

@pytest.mark.timeout(240)
@cases(ci=80, nightly=1200)
@given(case=st.sampled_from(MUTATIONS).flatmap(lambda m: mutated("scenario", m)))
def test_mutated_scenarios_are_rejected_with_located_lines(casedir, case):
    assert_case_rejected(casedir, *case, sentinel_dir=casedir)


@pytest.mark.timeout(240)
@cases(ci=30, nightly=400)
@given(case=st.sampled_from(MUTATIONS).flatmap(lambda m: mutated("sweep", m)))
def test_mutated_sweep_specs_are_rejected_with_located_lines(casedir, case):
    assert_case_rejected(casedir, *case, sentinel_dir=casedir)


@pytest.mark.timeout(180)
@cases(ci=5, nightly=100)
@given(case=mutated("scenario", "alias_bomb") | mutated("sweep", "alias_bomb"))
def test_alias_bombs_are_stopped(casedir, case):
    """Billion laughs (up to 12**14 nodes once expanded) stop at the node budget, quickly."""
    assert_case_rejected(casedir, *case)


def _printable(raw: bytes) -> bytes:
    """Characters YAML forbids replaced (they have their own test); invalid UTF-8 kept as is."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    return yaml.reader.Reader.NON_PRINTABLE.sub("?", text).encode("utf-8", "surrogatepass")


GARBAGE = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
                 lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                 max_leaves=20).map(lambda d: yaml.safe_dump(d).encode("utf-8", "surrogatepass")),
).map(_printable)


@pytest.mark.timeout(120)
@cases(ci=50, nightly=400)
@given(raw=GARBAGE)
def test_random_bytes_and_documents_are_rejected(casedir, raw):
    assert_case_rejected(casedir, "garbage", raw)


@pytest.mark.timeout(120)
@cases(ci=25, nightly=300)
@given(kind=st.sampled_from(["scenario", "sweep"]), data=st.data())
def test_invalid_utf8_is_rejected(casedir, kind, data):
    raw = Path(data.draw(st.sampled_from(base_files(kind)))).read_bytes()
    at = data.draw(st.integers(0, len(raw)))
    bad = data.draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]))
    assert_case_rejected(casedir, kind + "-utf8", raw[:at] + bad + raw[at:])


# --- one test per input class the product once failed ------------------------------------

@pytest.mark.timeout(120)
@cases(ci=15, nightly=200)
@given(kind=st.sampled_from(["scenario", "sweep"]), data=st.data())
def test_infinite_numbers_are_rejected(casedir, kind, data):
    """``.inf`` (or a literal beyond the float range) is as meaningless a budget as ``.nan``."""
    base = data.draw(st.sampled_from(base_files(kind)))
    doc = copy.deepcopy(_base(base))
    path_ = data.draw(st.sampled_from([p for p, v in walk(doc) if is_number(v)]))
    event(".".join(map(str, path_[-2:])))
    _set(doc, path_, math.inf)
    text = dump(doc)
    if data.draw(st.booleans()):
        text = text.replace(".inf", "1.0e+400")
    assert_case_rejected(casedir, Path(base).stem + "-inf", text.encode())


@pytest.mark.timeout(120)
@cases(ci=4, nightly=4)
@given(where=st.sampled_from(["population.themes.it", "population.themes.health"]),
       value=st.sampled_from([math.nan, math.inf]))
def test_non_finite_theme_shares_are_rejected(casedir, where, value):
    doc = copy.deepcopy(_base(str(ROOT / "scenarios" / "estonia.yaml")))
    _set(doc, tuple(where.split(".")), value)
    assert_case_rejected(casedir, "theme", dump(doc).encode())


@pytest.mark.timeout(120)
@cases(ci=15, nightly=200)
@given(kind=st.sampled_from(["scenario", "sweep"]), data=st.data(),
       ch=st.sampled_from(["\n", "\r", "\r\n", "\t\n", "\x85", "\u2028"]))
def test_control_characters_stay_on_one_line(casedir, kind, data, ch):
    """A key or value with a line break must not split a problem into two lines."""
    base = data.draw(st.sampled_from(base_files(kind)))
    doc = copy.deepcopy(_base(base))
    maps = [()] + [p for p, v in walk(doc) if isinstance(v, dict)]
    _get(doc, data.draw(st.sampled_from(maps)))["bad" + ch + "key: x"] = {"x": [1]}
    assert_case_rejected(casedir, Path(base).stem + "-ctrl", dump(doc).encode())


@pytest.mark.timeout(120)
@cases(ci=12, nightly=150)
@given(kind=st.sampled_from(["scenario", "sweep"]), data=st.data(),
       ch=st.sampled_from(["\x00", "\x07", "\x1f", "\ufffe"]))
def test_forbidden_characters_are_rejected_on_one_line(casedir, kind, data, ch):
    """Characters YAML forbids (NUL, bell...) are a located error, not a two-line message."""
    raw = Path(data.draw(st.sampled_from(base_files(kind)))).read_text()
    at = data.draw(st.integers(0, len(raw)))
    assert_case_rejected(casedir, kind + "-char", (raw[:at] + ch + raw[at:]).encode())


@pytest.mark.timeout(120)
@cases(ci=15, nightly=200)
@given(data=st.data(), tail=st.sampled_from([".x", ".0", ".a.b", ".id"]))
def test_sweep_paths_below_a_value_are_rejected(casedir, data, tail):
    """A parameter or ``fixed`` path that goes below a plain value (``horizon_years.x``)."""
    base = data.draw(st.sampled_from(base_files("sweep")))
    doc = copy.deepcopy(_base(base))
    leaf = data.draw(st.sampled_from(["horizon_years", "name", "start_year", "country",
                                      "population.background_funding_share",
                                      "scheme.instruments.0.rate"]))
    if data.draw(st.booleans()):
        doc.setdefault("fixed", {})[leaf + tail] = 1
    else:
        doc.setdefault("parameters", {})[leaf + tail] = {"levels": [1]} \
            if doc.get("design", "grid") == "grid" else {"low": 0.1, "high": 0.2}
    assert_case_rejected(casedir, "sweep-path", dump(doc).encode())


# --- a fixed corpus, and the real console script ------------------------------------------

def corpus(tmp: Path) -> dict[str, bytes]:
    """Hand-written hostile files, each a known way to break YAML readers."""
    flanders = (ROOT / "scenarios" / "flanders.yaml").read_bytes()
    lol = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9))
    return {
        "empty": b"", "comment_only": b"# nothing\n", "top_list": b"- 1\n- 2\n",
        "top_scalar": b"just text\n", "billion_laughs": lol.encode(),
        "self_alias": b"a: &a [*a]\n", "python_object": flanders + (
            f"\nx: !!python/object/apply:os.system ['touch {tmp}/{SENTINEL}_corpus']\n").encode(),
        "deep_list": b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        "deep_map": b"a: " + b"{a: " * 3000 + b"1" + b"}" * 3000 + b"\n",
        "too_large": b"# " + b"x" * 3_000_000 + b"\n",
        "utf16": "name: x\n".encode("utf-16"), "latin1": "name: caf\xe9\n".encode("latin-1"),
        "two_documents": b"a: 1\n---\nb: 2\n", "complex_key": b"? [a, b]\n: 1\n",
        "merge_key": b"base: &b {x: 1}\nname: {<<: *b}\n", "tabs": b"name:\n\t- x\n",
        "huge_int": b"horizon_years: " + b"9" * 5000 + b"\n",
        "unclosed": b"name: [unclosed\n  horizon_years: : :\n",
        "sweep_unknown_scenario": b"name: s\nscenarios: [no_such_scenario]\ndesign: grid\n",
        "sweep_scenario_is_dir": f"name: s\nscenarios: ['{tmp}']\ndesign: grid\nparameters: {{}}\n".encode(),
    }


def test_fixed_hostile_corpus_in_process(tmp_path):
    for name, raw in corpus(tmp_path).items():
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(raw)
        assert_rejected(path, tmp_path)


def test_unreadable_paths_are_located(tmp_path):
    for path in (tmp_path / "missing.yaml", tmp_path):
        rc, out, err = validate_in_process(path)
        assert rc == 2 and out == ""
        assert_located_lines(err, [str(path)])


def run_cli(files: list[Path], timeout: float = 120) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("simpolicy")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "simpolicy.cli.main"]
    return subprocess.run([*cmd, "validate", *map(str, files)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def assert_cli_rejects(files: list[Path], sentinel_dir: Path) -> None:
    r = run_cli(files)
    assert r.returncode == 2, r.stderr[-3000:]
    assert r.stdout == ""
    assert_located_lines(r.stderr, [str(f) for f in files])
    assert not list(sentinel_dir.glob(SENTINEL + "*"))


@pytest.mark.timeout(180)
def test_fixed_hostile_corpus_through_the_console_script(tmp_path):
    files = []
    for name, raw in corpus(tmp_path).items():
        files.append(tmp_path / f"{name}.yaml")
        files[-1].write_bytes(raw)
    assert_cli_rejects(files, tmp_path)


ANY_INVALID = st.one_of(
    st.sampled_from(MUTATIONS).flatmap(lambda m: mutated("scenario", m)),
    st.sampled_from(MUTATIONS).flatmap(lambda m: mutated("sweep", m)),
    GARBAGE.map(lambda raw: ("garbage", raw)),
)


@pytest.mark.timeout(240)
@cases(ci=3, nightly=40)
@given(batch=st.lists(ANY_INVALID, min_size=6, max_size=10))
def test_console_script_rejects_fuzzed_files(tmp_path_factory, batch):
    """The real ``simpolicy validate`` on ten files at a time: exit 2 and a line for each."""
    tmp = tmp_path_factory.mktemp("cli")
    files = []
    for i, (name, raw) in enumerate(batch):
        path = write_case(tmp, f"{i:02d}-{name}", raw)
        if path not in files:
            files.append(path)
    assert_cli_rejects(files, tmp)
