"""Property: a connector's "Used by" is exactly the runners whose contract lists it."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from jobforge.registry.render import render_registry
from tests.unit.registry.support import connector, registry_runner

CONNECTOR_IDS = ("c0.api", "c1.api", "c2.api", "c3.api")
RUNNER_IDS = ("r0.run", "r1.run", "r2.run")
JOB_TYPES = ("j.a", "j.b", "j.c", "j.d")
# Listed by runners but with no metadata file: a validate problem (JF210), never a page.
UNKNOWN_CONNECTOR = "ghost.api"

job_type_sets = st.frozensets(st.sampled_from(JOB_TYPES), min_size=1)
connector_specs = st.dictionaries(st.sampled_from(CONNECTOR_IDS), job_type_sets, min_size=1)
runner_specs = st.dictionaries(
    st.sampled_from(RUNNER_IDS),
    st.tuples(
        job_type_sets,
        st.frozensets(st.sampled_from((*CONNECTOR_IDS, UNKNOWN_CONNECTOR))),
        st.sampled_from(("1.0.0", "2.4.1")),
    ),
)


@given(connector_specs, runner_specs)
def test_used_by_is_the_runners_listing_the_connector(
    connector_spec: dict[str, frozenset[str]],
    runner_spec: dict[str, tuple[frozenset[str], frozenset[str], str]],
) -> None:
    connectors = [
        connector(cid, supported_job_types=sorted(types)) for cid, types in connector_spec.items()
    ]
    runners = [
        registry_runner(rid, types, listed, version=version)
        for rid, (types, listed, version) in runner_spec.items()
    ]
    files = render_registry(connectors, runners)
    assert files == render_registry(reversed(connectors), reversed(runners))
    assert f"{UNKNOWN_CONNECTOR}.md" not in files

    document = json.loads(files["registry.json"])
    for entry in document["connectors"]:
        cid = entry["connector_id"]
        expected = [
            {
                "runner_id": rid,
                "version": version,
                "job_types": sorted(connector_spec[cid] & types),
            }
            for rid, (types, listed, version) in sorted(runner_spec.items())
            if cid in listed
        ]
        assert entry["used_by"] == expected
        section = files[f"{cid}.md"].split("## Used by\n\n")[1].split("\n\n")[0]
        shown = [rid for rid in RUNNER_IDS if f"| `{rid}` |" in section]
        assert shown == [use["runner_id"] for use in expected]
        if not expected:
            assert section == "No runner contract lists this connector under `connectors:`."
