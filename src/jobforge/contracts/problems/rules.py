"""The rule catalogue: every problem the validator reports carries one of these ids.

Ids are stable: a rule may be retired, never renumbered, so ignores in pyproject.toml keep
meaning the same thing. JF1xx check one file on its own; JF2xx relate a file to its
place in the tree or to other files.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    summary: str

    @property
    def title(self) -> str:
        return f"{self.id} {self.name}"


RULES: tuple[Rule, ...] = (
    Rule("JF100", "unreadable-file", "The file could not be read."),
    Rule("JF101", "invalid-json", "The file is not valid JSON."),
    Rule("JF102", "invalid-yaml", "The file is not valid YAML, or holds several documents."),
    Rule("JF103", "duplicate-key", "A key appears twice in the same object."),
    Rule("JF104", "unknown-key", "A key the model does not define (the closest is suggested)."),
    Rule("JF105", "non-finite-number", "NaN or Infinity, which JSON does not allow."),
    Rule("JF106", "invalid-encoding", "The file is not UTF-8."),
    Rule("JF107", "empty-file", "The file holds no document."),
    Rule("JF108", "file-too-large", "The file is above the configured size limit."),
    Rule("JF109", "yaml-anchor", "YAML anchors and aliases are refused (alias bombs)."),
    Rule("JF110", "wrong-type", "A value of the wrong JSON type."),
    Rule("JF111", "missing-key", "A required key is absent."),
    Rule("JF112", "invalid-value", "A value of the right type that breaks a constraint."),
    Rule("JF113", "invalid-semver", "A version that is not a semantic version."),
    Rule("JF114", "misnamed-file", "A file that looks like a contract file but is misnamed."),
    Rule("JF115", "unsupported-yaml-value", "A YAML value with no JSON equivalent (dates...)."),
    Rule("JF116", "invalid-json-schema", "A job type schema that is not valid Draft 2020-12."),
    Rule("JF117", "missing-metadata", "A connector folder without a metadata.json."),
    Rule(
        "JF118",
        "lone-surrogate",
        "A string escaping half a UTF-16 surrogate pair, which is no Unicode character.",
    ),
    Rule("JF201", "duplicate-connector-id", "Two connector files declare the same id."),
    Rule("JF202", "connector-folder-mismatch", "connector_id differs from the folder name."),
    Rule("JF203", "job-type-not-served", "A connector job type no runner contract serves."),
    Rule("JF204", "missing-handler", "A runner job type with no registered handler."),
    Rule("JF205", "missing-golden", "A runner job type with no golden case."),
    Rule("JF206", "golden-input-invalid", "A golden input its job type's input schema refuses."),
    Rule("JF207", "golden-output-invalid", "A golden output its output schema refuses."),
    Rule("JF208", "golden-unknown-job-type", "A golden whose runner does not serve its job type."),
    Rule("JF209", "runner-file-mismatch", "runner_id differs from the file name."),
    Rule("JF210", "unknown-connector", "A runner uses a connector with no metadata file."),
    Rule("JF211", "handler-import-failed", "A handler module could not be imported."),
    Rule("JF212", "duplicate-job-type", "Two runner contracts serve the same job type."),
    Rule("JF213", "duplicate-runner-id", "Two runner files declare the same id."),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}

UNREADABLE_FILE = RULES_BY_ID["JF100"]
INVALID_JSON = RULES_BY_ID["JF101"]
INVALID_YAML = RULES_BY_ID["JF102"]
DUPLICATE_KEY = RULES_BY_ID["JF103"]
UNKNOWN_KEY = RULES_BY_ID["JF104"]
NON_FINITE_NUMBER = RULES_BY_ID["JF105"]
INVALID_ENCODING = RULES_BY_ID["JF106"]
EMPTY_FILE = RULES_BY_ID["JF107"]
FILE_TOO_LARGE = RULES_BY_ID["JF108"]
YAML_ANCHOR = RULES_BY_ID["JF109"]
WRONG_TYPE = RULES_BY_ID["JF110"]
MISSING_KEY = RULES_BY_ID["JF111"]
INVALID_VALUE = RULES_BY_ID["JF112"]
INVALID_SEMVER = RULES_BY_ID["JF113"]
MISNAMED_FILE = RULES_BY_ID["JF114"]
UNSUPPORTED_YAML_VALUE = RULES_BY_ID["JF115"]
INVALID_JSON_SCHEMA = RULES_BY_ID["JF116"]
MISSING_METADATA = RULES_BY_ID["JF117"]
LONE_SURROGATE = RULES_BY_ID["JF118"]
DUPLICATE_CONNECTOR_ID = RULES_BY_ID["JF201"]
CONNECTOR_FOLDER_MISMATCH = RULES_BY_ID["JF202"]
JOB_TYPE_NOT_SERVED = RULES_BY_ID["JF203"]
MISSING_HANDLER = RULES_BY_ID["JF204"]
MISSING_GOLDEN = RULES_BY_ID["JF205"]
GOLDEN_INPUT_INVALID = RULES_BY_ID["JF206"]
GOLDEN_OUTPUT_INVALID = RULES_BY_ID["JF207"]
GOLDEN_UNKNOWN_JOB_TYPE = RULES_BY_ID["JF208"]
RUNNER_FILE_MISMATCH = RULES_BY_ID["JF209"]
UNKNOWN_CONNECTOR = RULES_BY_ID["JF210"]
HANDLER_IMPORT_FAILED = RULES_BY_ID["JF211"]
DUPLICATE_JOB_TYPE = RULES_BY_ID["JF212"]
DUPLICATE_RUNNER_ID = RULES_BY_ID["JF213"]


def find_rule(id_or_name: str) -> Rule | None:
    """The rule with this id (``JF104``) or name (``unknown-key``), if any."""
    return RULES_BY_ID.get(id_or_name.upper()) or RULES_BY_NAME.get(id_or_name.lower())
