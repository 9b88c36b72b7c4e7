"""The dashboard under hostile requests: bad uploads and paths outside the results folder.

A real ``simpolicy dashboard`` server (started as the CLI starts it) receives plain HTTP
POSTs to Dash's ``/_dash-update-component`` endpoint, exactly the payload the browser sends
once the scenario page's size gate has passed a file (so the server's own checks are tested,
not the browser's), which is far faster than driving Chromium:

- two hundred bad uploads (wrong file types, over the size limit, alias bombs, YAML tags
  that would create a file, invalid UTF-8, deep nesting, mutated scenarios) are answered
  with the CLI's located problem lines, never an HTTP 500, and execute nothing;
- upload payloads of the wrong JSON shape (a hostile client is not bound to the browser's
  code) give no server error either;
- study ids and URLs that point outside the results folder (``..``, absolute paths, encoded
  dots, symlinks, a sibling folder with the same prefix) are refused by every callback
  that takes a study id, and no file outside the folder is ever served.

No browser is needed, so these tests are not marked ``browser``.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import os
import random
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from dashboard import testing
from simpolicy.experiments.study import plan_study, run_study
from tests.test_reliability_inputs import SENTINEL, TAGS, _base, _bomb, _set, dump, is_number, walk

ROOT = Path(__file__).resolve().parents[1]
SECRET = "DECOY-SECRET-7f3a91"
UPLOAD_OUT = "..sc-upload-result.children...sc-scenario.options...sc-scenario.value...sc-upload.contents.."
UPLOAD_IN = "sc-upload-checked"
SCENARIOS = [str(p) for p in sorted((ROOT / "scenarios").glob("*.yaml"))
             if p.name not in ("behaviour.yaml", "schema.json")]


# --- the server and how the browser talks to it ------------------------------------------

class Dash:
    """A running dashboard and the callbacks it declares (read from ``/_dash-dependencies``)."""

    def __init__(self, server: testing.Server):
        self.server, self.url = server, server.url
        with urllib.request.urlopen(self.url + "/_dash-dependencies", timeout=30) as r:
            self.deps = json.load(r)

    def request(self, path: str, body: bytes | None = None, timeout: float = 60) -> tuple[int, str]:
        req = urllib.request.Request(self.url + path, data=body,
                                     headers={"Content-Type": "application/json"} if body else {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def callback(self, dep: dict, values: dict) -> tuple[int, str]:
        """POSTs one callback as the renderer does; inputs and states not given are None."""
        out = dep["output"]
        names = out.strip(".").split("...") if out.startswith("..") else [out]
        outputs = [{"id": n.rsplit(".", 1)[0], "property": n.rsplit(".", 1)[1].split("@")[0]}
                   for n in names]

        def arg(d):
            key = f"{d['id']}.{d['property']}"
            return {"id": d["id"], "property": d["property"], "value": values.get(key)}

        body = {"output": out, "outputs": outputs if len(outputs) > 1 else outputs[0],
                "inputs": [arg(d) for d in dep["inputs"]], "state": [arg(d) for d in dep["state"]],
                "changedPropIds": [k for k in values if any(f"{d['id']}.{d['property']}" == k
                                                            for d in dep["inputs"])]}
        return self.request("/_dash-update-component", json.dumps(body).encode())

    def deps_with(self, key: str) -> list[dict]:
        """Server-side callbacks that read `key` (``id.property``) as an input or a state."""
        return [d for d in self.deps if d.get("clientside_function") is None
                and any(f"{x['id']}.{x['property']}" == key for x in d["inputs"] + d["state"])]

    def upload(self, checked) -> tuple[int, str]:
        dep = next(d for d in self.deps if d["output"] == UPLOAD_OUT)
        return self.callback(dep, {f"{UPLOAD_IN}.data": checked})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A results folder with one real study, decoys outside it, and a dashboard serving it."""
    base = tmp_path_factory.mktemp("dash")
    results = base / "results"
    spec = base / "tiny.yaml"
    spec.write_text("name: tiny\nscenarios: [lithuania]\ndesign: grid\nreplications: 1\n"
                    "fixed: {horizon_years: 1}\nparameters:\n"
                    "  scheme.instruments.pcp_lt.rate: {levels: [0.5, 0.9]}\n")
    real = results / "tiny-real"
    run_study(plan_study(spec), real, workers=1, notify=lambda m: None)
    for decoy in (base / "outside", base / "results_evil", results / "decoy_inside"):
        shutil.copytree(real, decoy)
        m = json.loads((decoy / "manifest.json").read_text())
        m["study_id"] = SECRET
        (decoy / "manifest.json").write_text(json.dumps(m))
    (results / "link").symlink_to(base / "outside", target_is_directory=True)
    sentinels = base / "sentinels"
    sentinels.mkdir()
    server = testing.start_server(results, workers=0)
    try:
        yield {"dash": Dash(server), "base": base, "sentinels": sentinels, "server": server}
    finally:
        server.stop()


def data_url(raw: bytes, media: str = "application/x-yaml") -> str:
    return f"data:{media};base64," + base64.b64encode(raw).decode()


# --- two hundred bad uploads ---------------------------------------------------------------

def _scenario(rng: random.Random) -> dict:
    return copy.deepcopy(_base(rng.choice(SCENARIOS)))


def _leaf(rng: random.Random, doc: dict) -> tuple:
    return rng.choice([p for p, v in walk(doc) if not isinstance(v, dict | list)])


def _with_marker(rng: random.Random, text_for_marker: str) -> bytes:
    doc = _scenario(rng)
    _set(doc, _leaf(rng, doc), "@@X@@")
    return dump(doc).replace("'@@X@@'", text_for_marker).encode()


def bad_uploads(sentinels: Path, n: int = 200, seed: int = 2024) -> list[tuple[str, str, object]]:
    """(kind, filename, checked store value) for `n` bad uploads, in a fixed random order."""
    rng = random.Random(seed)
    yaml_text = Path(SCENARIOS[0]).read_bytes()
    wrong_types = [
        ("image.png", b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(300)), "image/png"),
        ("doc.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n", "application/pdf"),
        ("archive.zip", b"PK\x03\x04" + bytes(40), "application/zip"),
        ("data.gz", b"\x1f\x8b\x08\x00" + bytes(30), "application/gzip"),
        ("noise.yaml", bytes(rng.randrange(256) for _ in range(2000)), "application/octet-stream"),
        ("list.json", b"[1, 2, 3]", "application/json"),
        ("obj.json", b'{"a": {"b": [1]}}', "application/json"),
        ("notes.txt", b"just a sentence, not a scenario\n", "text/plain"),
        ("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
        ("table.csv", b"a,b\n1,2\n", "text/csv"), ("utf16.yaml", yaml_text.decode().encode("utf-16"), ""),
        ("empty.yaml", b"", ""), ("comment.yaml", b"# nothing here\n", ""),
        ("scalar.yaml", b"42\n", ""), ("null.yaml", b"~\n", ""),
    ]
    cases: list[tuple[str, str, object]] = []

    def add(kind: str, name: str, raw: bytes) -> None:
        cases.append((kind, name, {"filename": name, "contents": data_url(raw)}))

    for i in range(40):  # wrong type
        name, raw, media = wrong_types[i % len(wrong_types)]
        if i >= len(wrong_types) and i % 3 == 0:  # broken data URLs as a browser never sends them
            contents = rng.choice(["data:text/plain,hello", "data:;base64,@@@@", "data:;base64,QUJD=X",
                                   "no data url at all", "data:;base64," + "A" * 7])
        else:
            contents = data_url(raw, media)
        cases.append(("wrong type", name, {"filename": name, "contents": contents}))
    for i in range(20):  # over the size limit: refused by the server (or by Flask above 4 MB: 413)
        size = rng.choice([1_000_001, 1_200_000, 2_500_000, 3_900_000, 4_500_000, 6_000_000])
        raw = (b"# padding " * (size // 10 + 1))[:size]
        add("over size", f"big{i}.yaml", raw)
    for i in range(15):  # alias bombs: five that explode, ten that merely alias
        fan, depth = (12, 14) if i < 5 else (rng.randint(2, 4), rng.randint(1, 4))
        add("alias bomb", f"bomb{i}.yaml", _with_marker(rng, _bomb(fan, depth)))
    for i in range(40):  # YAML tags, some of which would create a file in `sentinels`
        tag = TAGS[i % len(TAGS)].replace("{dir}", str(sentinels))
        add("tag", f"tag{i}.yaml", _with_marker(rng, tag))
    for i in range(60):  # mutated scenarios: unknown, missing, wrong or non-finite values
        doc = _scenario(rng)
        kind = i % 5
        nodes = list(walk(doc))
        if kind == 0:
            _set(doc, rng.choice([p for p, v in nodes if isinstance(v, dict)]) + ("zz_unknown",), {"x": [1]})
        elif kind == 1:
            del doc[rng.choice(["name", "country", "population", "scheme", "horizon_years"])]
        elif kind == 2:
            _set(doc, rng.choice(nodes)[0], [{"zz_bad": 1}])
        elif kind == 3:
            path = rng.choice([p for p, v in nodes if is_number(v) and "themes" not in p])
            _set(doc, path, rng.choice([math.nan, -math.inf, -1.0, "not a number"]))
        else:
            _set(doc, rng.choice([p for p, v in nodes if is_number(v)]), 10**rng.randint(30, 400))
            doc["zz_unknown"] = 1  # huge numbers may be valid; the unknown field is not
        add("mutated", f"mut{i}.yaml", dump(doc).encode())
    for i in range(10):  # invalid UTF-8
        at = rng.randrange(len(yaml_text))
        raw = yaml_text[:at] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80"]) + yaml_text[at:]
        add("invalid UTF-8", f"utf{i}.yaml", raw)
    for i in range(10):  # deep nesting
        depth = rng.choice([100, 900, 1000, 5000, 50_000])
        nest = ("{a: " * depth + "1" + "}" * depth) if i % 2 else ("[" * depth + "]" * depth)
        add("deep nesting", f"deep{i}.yaml", _with_marker(rng, nest))
    for i in range(5):  # characters YAML forbids
        at = rng.randrange(len(yaml_text))
        raw = yaml_text[:at] + rng.choice([b"\x00", b"\x07", b"\x1b"]) + yaml_text[at:]
        add("forbidden character", f"char{i}.yaml", raw)
    assert len(cases) == n
    return cases


def problem_lines(body: str) -> list[str]:
    """The problem lines shown by the upload callback (inside its ``Pre``)."""
    res = json.loads(body)["response"]["sc-upload-result"]["children"]
    shown = res["props"]["children"]
    pre = shown[1]["props"]["children"] if isinstance(shown, list) else ""
    return [x for x in str(pre).split("\n") if x]


@pytest.mark.timeout(240)
def test_two_hundred_bad_uploads_give_no_server_error_and_execute_nothing(site):
    dash, sentinels = site["dash"], site["sentinels"]
    log_start = site["server"].log.stat().st_size  # other tests share the server and its log
    good = {"filename": "good.yaml", "contents": data_url(Path(SCENARIOS[0]).read_bytes())}
    status, body = dash.upload(good)
    assert status == 200 and "is valid" in body  # the control: a good file is accepted
    outcomes: Counter = Counter()
    for kind, name, checked in bad_uploads(sentinels):
        t0 = time.perf_counter()
        status, body = dash.upload(checked)
        elapsed = time.perf_counter() - t0
        assert status != 500, f"{kind} {name}: HTTP 500"
        assert elapsed < 30, f"{kind} {name}: {elapsed:.0f} s"
        if status == 413:  # above Flask's request limit: refused before any code of ours runs
            assert kind == "over size", (kind, name)
        else:
            assert status == 200, (kind, name, status, body[:300])
            assert "was not accepted" in body and "is valid" not in body, (kind, name, body[:500])
            lines = problem_lines(body)  # the format of every line is test_reliability_inputs' job
            assert lines and lines[0].startswith(f"{name}:"), (kind, name, lines)
        outcomes[(kind, status)] += 1
        assert not list(sentinels.iterdir()), f"{kind} {name} executed code"
    assert sum(outcomes.values()) == 200
    assert site["server"].process.poll() is None, "the server died"
    assert dash.request("/")[0] == 200
    with open(site["server"].log, "rb") as f:
        f.seek(log_start)
        log = f.read().decode(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    print(dict(outcomes))  # shown with -s; recorded in docs/reliability.md


@pytest.mark.timeout(120)
@pytest.mark.parametrize("checked", [
    "a string", ["a", "list"], 42, True, {"error": ["not", "a", "string"]}, {"error": {"a": 1}},
    {"contents": ["list"], "filename": "x.yaml"}, {"contents": {"a": 1}}, {"filename": ["a"], "contents": 1},
], ids=repr)
def test_upload_payloads_of_the_wrong_shape_give_no_server_error(site, checked):
    """A hostile client can post any JSON as the checked upload: a refusal, never a 500."""
    status, body = site["dash"].upload(checked)
    assert status != 500, f"HTTP 500 for {checked!r}"
    assert "is valid" not in body


# --- paths outside the results folder ---------------------------------------------------------

def bad_ids(base: Path) -> list:
    outside = base / "outside"
    return ["../outside", "..", ".", "/", str(outside), str(outside / "manifest.json"),
            "results/../outside", "%2e%2e%2foutside", "..%2Foutside", "....//outside", "outside",
            "~/outside", "..\\outside", "tiny-real/../../outside", "../results_evil", "link",
            "tiny-real\x00", "x" * 1000, "/etc/passwd", "file:///etc/passwd", 123, ["../outside"],
            {"id": "../outside"}]


def _study_calls(dash: Dash, study_id) -> list[tuple[str, int, str]]:
    """Every callback that reads a study id, called with `study_id` (and a click where it has one)."""
    out = []
    for dep in dash.deps_with("st-study.value"):
        values = {f"{x['id']}.{x['property']}": None for x in dep["inputs"] + dep["state"]}
        values["st-study.value"] = study_id
        for x in dep["inputs"]:
            if x["property"] == "n_clicks":
                values[f"{x['id']}.n_clicks"] = 1
        out.append((dep["output"][:60], *dash.callback(dep, values)))
    return out


def _opener(dash: Dash) -> dict:
    return next(d for d in dash.deps_with("st-study.value")
                if any(x["id"] == "st-study" for x in d["inputs"]) and "st-message.children" in d["output"])


@pytest.mark.timeout(180)
def test_study_ids_outside_the_results_folder_are_never_opened(site):
    dash = site["dash"]
    assert len(dash.deps_with("st-study.value")) >= 3, "the studies page reads a study id in callbacks"
    opener = _opener(dash)
    # controls: a real study opens; a decoy inside the folder shows its marker, so a leak would show
    status, body = dash.callback(opener, {"st-study.value": "tiny-real"})
    assert status == 200 and "refused" not in body
    status, body = dash.callback(opener, {"st-study.value": "decoy_inside"})
    assert status == 200 and SECRET in body
    for study_id in bad_ids(site["base"]):
        for name, _status, body in _study_calls(dash, study_id):
            assert SECRET not in body, f"{name} opened {study_id!r} outside the folder"
        status, body = dash.callback(opener, {"st-study.value": study_id})
        assert status == 200 and "refused" in body, (study_id, body[:300])


@pytest.mark.timeout(180)
def test_study_ids_outside_the_results_folder_give_no_server_error(site):
    """Refusing must not be a crash: the download callbacks too answer without an HTTP 500."""
    errors = sorted({(name, repr(study_id)) for study_id in bad_ids(site["base"])
                     for name, status, _ in _study_calls(site["dash"], study_id) if status == 500})
    assert not errors, f"HTTP 500 from {len(errors)} (callback, id) pairs, e.g. {errors[:4]}"


@pytest.mark.timeout(120)
def test_study_urls_outside_the_results_folder_are_refused(site):
    dash = site["dash"]
    router = next(d for d in dash.deps if d["output"] == "..page.children...nav.children..")
    for study_id in bad_ids(site["base"]):
        search = "?" + urllib.parse.urlencode({"study": str(study_id)})
        status, body = dash.callback(router, {"url.pathname": "/studies", "url.search": search})
        assert status == 200, (study_id, status)
        assert SECRET not in body
        assert "refused" in body, (study_id, body[:300])


OUTSIDE_PATHS = [
    "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/../../pyproject.toml",
    "/assets/%2e%2e/%2e%2e/pyproject.toml", "/assets/..%2f..%2fpyproject.toml",
    "/_dash-component-suites/../../../../etc/passwd",
    "/_dash-component-suites/dash/..%2f..%2f..%2f..%2fetc/passwd",
    "/_dash-component-suites/dash/../../../../../../etc/passwd",
    "/results/../outside/manifest.json", "/outside/manifest.json", "/studies/../../outside",
    "/_dash-layout/../../etc/passwd", "//etc/passwd",
]


@pytest.mark.timeout(60)
def test_files_outside_are_never_served(site):
    for path in OUTSIDE_PATHS:
        _status, body = site["dash"].request(path)
        assert "root:x:0:0" not in body and "[build-system]" not in body and SECRET not in body, path


@pytest.mark.timeout(60)
def test_unknown_paths_are_not_found_rather_than_a_server_error(site):
    """A scanner's probe is a 404, not a 500 with a traceback in the log."""
    log_start = site["server"].log.stat().st_size  # other tests share the server and its log
    unknown = ["/_dash-component-suites/dash/nonexistent.js", "/_dash-component-suites/nope/x.js",
               "/_dash-component-suites/dash/deps/../../../../etc/passwd"]
    answers = {p: site["dash"].request(p)[0] for p in OUTSIDE_PATHS + unknown}
    errors = [p for p, status in answers.items() if status == 500]
    assert not errors, f"HTTP 500 for {errors}"
    assert all(answers[p] == 404 for p in unknown), answers
    with open(site["server"].log, "rb") as f:
        f.seek(log_start)
        log = f.read().decode(errors="replace")
    assert "Traceback" not in log and "DependencyException" not in log, log[-3000:]


def test_sentinel_directory_is_the_only_place_tags_could_write():
    """Guards the upload test's premise: the tags name files in the sentinel folder."""
    writers = [t for t in TAGS if "{dir}" in t]
    assert writers and all(SENTINEL in t for t in writers)
    assert os.sep not in SENTINEL
