"""The report's closing sections: the model's limits and the provenance of every number.

The limits come from the model description (``docs/ODD.md``, its section whose heading
contains "Limits") at report time, so the report says what the documentation says; a short
built-in list stands in when the file is absent. Provenance is what anyone needs to rerun
the study and check that the data behind the report are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from simpolicy.report.data import ReportData, data_hashes
from simpolicy.report.html import esc, section, table
from simpolicy.results.store import code_version, now

FALLBACK_LIMITS = """
- The model is a stylised picture of buyers, suppliers and programmes, calibrated to a few
  observed patterns; its numbers show differences between designs, not forecasts.
- Many behavioural and population values are assumed (marked in each scheme's description);
  results can be sensitive to them: run a study (`simpolicy sweep`) before relying on a ranking.
- Political steering, changes of rules, the quality of individual projects and the wider
  economy are outside the model.
- Intervals describe the model's randomness over replications, not the uncertainty of its
  assumptions.
"""


def odd_path() -> Path | None:
    """docs/ODD.md next to the package (a checkout) or under the working directory."""
    here = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"
    for p in (here, Path.cwd() / "docs" / "ODD.md"):
        if p.is_file():
            return p
    return None


def limits_markdown(text: str) -> str | None:
    """The body of the first heading that contains "Limits", up to the next heading as high."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m and "limit" in m.group(2).lower():
            level = len(m.group(1))
            body = []
            for nxt in lines[i + 1:]:
                h = re.match(r"^(#{1,6})\s", nxt)
                if h and len(h.group(1)) <= level:
                    break
                body.append(nxt)
            return "\n".join(body).strip() or None
    return None


def markdown_html(md: str) -> str:
    """Markdown to HTML without raw HTML, links or images: the report must stay offline."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # rich brings markdown-it-py; without it, show the text as written
        return f"<pre>{esc(md)}</pre>"
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    parser.add_render_rule("link_open", lambda *a, **k: "<span class=\"ref\">")
    parser.add_render_rule("link_close", lambda *a, **k: "</span>")
    parser.add_render_rule("image", lambda tokens, idx, *a, **k: esc(tokens[idx].content or ""))
    return parser.render(md)


def limits() -> str:
    """The model's main limits, from docs/ODD.md when present."""
    path = odd_path()
    md = limits_markdown(path.read_text(encoding="utf-8")) if path else None
    src = (f'<p class="note">From the model description, {esc(path.name)} (section on limits).</p>'
           if md else '<p class="note">The model description (docs/ODD.md) was not found; '
           "these are the built-in main limits.</p>")
    return section("limits", "Limits of the model", markdown_html(md or FALLBACK_LIMITS) + src)


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _provenance_rows(part: ReportData) -> list[list[str]]:
    m = part.manifest
    seeds = part.seeds
    counts = m.get("counts") or {}
    rows = [
        ["study id", esc(part.study_id)], ["kind", esc(part.kind)],
        ["results folder", f"<code>{esc(str(part.folder.resolve()))}</code>"],
        ["created", esc(str(m.get("created", "–")))], ["status", esc(str(m.get("status", "–")))],
        ["code version", f"<code>{esc(str(m.get('code_version', '–')))}</code>"],
        ["command line", "<br>".join(f"<code>{esc(c)}</code>" for c in part.commands) or "–"],
        ["replications", esc(str(part.reps or "–"))],
        ["seeds", esc(f"{seeds[0]}..{seeds[1]}" if seeds else "–")],
        ["population", esc(str(m.get("population") or "each scheme's own"))],
        ["runs", esc(f"{counts.get('runs', len(part.runs))} ({counts.get('failed', 0)} failed)")],
        ["run time", esc(f"{m['elapsed_s']:.1f} s" if isinstance(m.get("elapsed_s"), int | float) else "–")],
    ]
    for key in ("spec_hash", "scenarios_hash", "study_hash", "hash"):
        if m.get(key):
            rows.append([key.replace("_", " "), f"<code>{esc(str(m[key]))}</code>"])
    if m.get("spec"):
        rows.append(["study spec (hash of stored spec)", f"<code>{_hash(m['spec'])}</code>"])
    if m.get("spec_file"):
        rows.append(["study spec file", f"<code>{esc(str(m['spec_file']))}</code>"])
    if part.design:
        rows.append(["design", esc(json.dumps({k: v for k, v in part.design.items() if k != "parameters"}))])
    sc = m.get("scenarios")
    if isinstance(sc, dict):
        for lab, v in sc.items():
            h = v.get("hash") if isinstance(v, dict) else v
            if h:
                rows.append([f"scenario {esc(lab)}", f"<code>{esc(str(h))}</code>"])
    if m.get("behaviour"):
        rows.append(["behaviour (hash)", f"<code>{_hash(m['behaviour'])}</code>"])
    for name, h in data_hashes(part.folder).items():
        rows.append([f"data {esc(name)} (sha256)", f"<code>{h}</code>"])
    return rows


def provenance(parts: list[ReportData], titles: list[str]) -> str:
    """Code version, scenario and spec hashes, seeds, command line and dates, per results folder."""
    body = []
    for part, title in zip(parts, titles, strict=True):
        if len(parts) > 1:
            body.append(f"<h3>{esc(title)}</h3>")
        body.append(table(["item", "value"], _provenance_rows(part), numeric_from=99))
        if part.commands:
            body.append(f'<p class="note">To rerun: <code>{esc(part.commands[0])}</code> '
                        "(the same seeds give the same runs on any machine).</p>")
    body.append(f'<p class="note">Report written {esc(now())} by simpolicy {esc(code_version())}.</p>')
    return section("provenance", "Provenance", "".join(body))
