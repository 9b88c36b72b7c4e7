"""The JSON Schema of scenario files, exported to scenarios/schema.json for editors."""

from __future__ import annotations

import json
from pathlib import Path

from .schema import Scenario


def scenario_json_schema() -> dict:
    """The schema editors use to complete and check scenario files."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "simpolicy scenario"
    return schema


def write(path: Path) -> None:
    path.write_text(json.dumps(scenario_json_schema(), indent=2) + "\n")


if __name__ == "__main__":
    write(Path(__file__).resolve().parents[2] / "scenarios" / "schema.json")
