"""The project file: valid for Pulumi, and in step with the configuration the program accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from providers.model import StackConfig

ROOT = Path(__file__).resolve().parents[1]
# Pulumi's own schema of Pulumi.yaml (Apache-2.0), copied with its source in tests/data/README.md
SCHEMA = ROOT / "tests" / "data" / "pulumi-project.schema.json"


def project() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    return data


def test_pulumi_yaml_validates_against_pulumis_own_schema():
    jsonschema.validate(project(), json.loads(SCHEMA.read_text()))


def test_runtime_and_stack_folder_are_what_the_engine_needs():
    data = project()
    assert data["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert data["stackConfigDir"] == "stacks"
    assert (ROOT / "__main__.py").exists()


def test_every_declared_key_is_a_setting_of_the_program_and_no_optional_key_is_declared_secret():
    declared = project()["config"]
    fields = {field.alias or name: field for name, field in StackConfig.model_fields.items()}
    assert set(declared) <= set(fields)
    scalar = {name for name in fields if name not in ("providers", "contexts")}
    assert scalar == set(declared)
    # the real CLI refuses a stack that leaves a `secret: true` key at its default, and a stack sets
    # either password or token: both stay optional, and their descriptions say to set them --secret
    assert {key for key, spec in declared.items() if spec.get("secret")} == set()
    assert all("--secret" in declared[key]["description"] for key in ("password", "token"))
    assert all(spec.get("description") for spec in declared.values())
