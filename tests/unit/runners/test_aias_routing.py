"""The AIAS router as the pure function it is: examples of each rule, then properties over
random catalogues, policies and preferences (the choice never breaks the policy, does not
depend on the catalogue's order, and is a least-loaded allowed candidate)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.runners.aias.policy import Reason, TenantPolicy, parse_policy
from jobforge.runners.aias.routing import Route, rank_key, route
from jobforge.runners.aias.targets import Target

CAPABILITIES = ("summarise", "translate", "code-review", "tool-use")
REGIONS = ("eu-west", "eu-central", "us-east")
IDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")
JOB_TYPES = ("aias.step.run", "acme.review.run")


def make(
    target_id: str,
    *capabilities: str,
    load: float = 0.5,
    cost_tier: int = 1,
    region: str = "eu-west",
    job_type: str = "aias.step.run",
) -> Target:
    return Target(target_id, job_type, frozenset(capabilities), load, cost_tier, region)


def ids(targets: Any) -> list[str]:
    return [target.target_id for target in targets]


# ----------------------------------------------------------------- examples


def test_candidates_declare_every_required_capability() -> None:
    routed = route(
        [make("a", "summarise"), make("b", "summarise", "translate"), make("c", "translate")],
        ["summarise", "translate"],
        TenantPolicy(),
    )
    assert ids(routed.ranked) == ["b"]
    assert [(item.target.target_id, item.missing) for item in routed.incapable] == [
        ("a", ("translate",)),
        ("c", ("summarise",)),
    ]
    assert routed.candidates == 1


def test_lower_load_wins_whatever_the_preference_and_id() -> None:
    routed = route(
        [make("a", "x", load=0.7), make("b", "x", load=0.2), make("c", "x", load=0.4)],
        ["x"],
        TenantPolicy(),
        preferred=["a"],
    )
    assert ids(routed.ranked) == ["b", "c", "a"]
    assert routed.reason() == "the lowest load (0.2) of 3 allowed candidates"


def test_ties_on_load_go_to_the_agents_preference_then_to_the_smaller_id() -> None:
    routed = route(
        [make("m", "x", load=0.3), make("z", "x", load=0.3), make("b", "x", load=0.3)],
        ["x"],
        TenantPolicy(),
        preferred=["z"],
    )
    assert ids(routed.ranked) == ["z", "b", "m"]
    assert routed.reason().endswith("tied on load with b, preferred by the agent")
    unpreferred = route([make("m", "x", load=0.3), make("b", "x", load=0.3)], ["x"], TenantPolicy())
    assert ids(unpreferred.ranked) == ["b", "m"]
    assert unpreferred.reason().endswith("tied on load and preference with m, first by id")


def test_every_rule_a_target_breaks_is_a_reason() -> None:
    policy = parse_policy(
        {
            "allowed_targets": ["a", "b"],
            "denied_targets": ["c"],
            "max_cost_tier": 2,
            "data_residency": ["eu-west"],
        },
        "payload.policy",
    )
    routed = route(
        [
            make("a", "x", cost_tier=3),
            make("b", "x", region="us-east"),
            make("c", "x", cost_tier=5, region="us-east"),
            make("d", "x"),
        ],
        ["x"],
        policy,
    )
    assert routed.chosen is None
    assert [
        (item.target.target_id, [refusal.reason for refusal in item.refusals])
        for item in routed.filtered
    ] == [
        ("a", [Reason.COST_TIER]),
        ("b", [Reason.DATA_RESIDENCY]),
        ("c", [Reason.NOT_ALLOWED, Reason.DENIED, Reason.COST_TIER, Reason.DATA_RESIDENCY]),
        ("d", [Reason.NOT_ALLOWED]),
    ]
    assert routed.filtered[2].refusals[2].detail == "cost tier 5 is above max_cost_tier 2"
    assert routed.filtered[1].refusals[0].detail == (
        "region us-east is outside data_residency (eu-west)"
    )


def test_a_denial_wins_over_an_allowance() -> None:
    policy = TenantPolicy(allowed_targets=frozenset({"a"}), denied_targets=frozenset({"a"}))
    routed = route([make("a", "x")], ["x"], policy)
    assert routed.chosen is None
    assert [refusal.reason for refusal in routed.filtered[0].refusals] == [Reason.DENIED]


def test_fallbacks_are_the_next_allowed_targets_of_the_chosen_job_type() -> None:
    routed = route(
        [
            make("a", "x", load=0.1),
            make("b", "x", load=0.2, job_type="acme.review.run"),
            make("c", "x", load=0.3),
            make("d", "x", load=0.4),
            make("e", "x", load=0.5),
        ],
        ["x"],
        TenantPolicy(),
    )
    assert ids(routed.fallbacks) == ["c", "d"]


def test_the_same_id_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="'a' is listed more than once"):
        route([make("a", "x"), make("a", "x", load=0.1)], ["x"], TenantPolicy())


def test_an_empty_catalogue_routes_nowhere() -> None:
    routed = route([], ["x"], TenantPolicy())
    assert (routed.chosen, routed.candidates, routed.reason()) == (None, 0, "")


# ----------------------------------------------------------------- properties


@st.composite
def targets(draw: st.DrawFn) -> list[Target]:
    chosen_ids = draw(st.lists(st.sampled_from(IDS), unique=True, max_size=len(IDS)))
    return [
        Target(
            target_id=target_id,
            job_type=draw(st.sampled_from(JOB_TYPES)),
            capabilities=frozenset(draw(st.sets(st.sampled_from(CAPABILITIES)))),
            # Few distinct loads, so ties are common.
            load=draw(st.sampled_from([0, 0.25, 0.5, 1, 7])),
            cost_tier=draw(st.integers(1, 4)),
            region=draw(st.sampled_from(REGIONS)),
        )
        for target_id in chosen_ids
    ]


def optional_set(elements: tuple[str, ...]) -> st.SearchStrategy[frozenset[str] | None]:
    return st.none() | st.frozensets(st.sampled_from(elements))


policies = st.builds(
    TenantPolicy,
    allowed_targets=optional_set(IDS),
    denied_targets=st.frozensets(st.sampled_from(IDS)),
    max_cost_tier=st.none() | st.integers(1, 4),
    data_residency=optional_set(REGIONS),
)
requirements = st.sets(st.sampled_from(CAPABILITIES), min_size=1)
preferences = st.lists(st.sampled_from(IDS), unique=True)


def allowed(target: Target, required: set[str], policy: TenantPolicy) -> bool:
    """The policy and capability rules, restated independently of the router."""
    return (
        required <= target.capabilities
        and (policy.allowed_targets is None or target.target_id in policy.allowed_targets)
        and target.target_id not in policy.denied_targets
        and (policy.max_cost_tier is None or target.cost_tier <= policy.max_cost_tier)
        and (policy.data_residency is None or target.region in policy.data_residency)
    )


@given(targets(), requirements, policies, preferences)
def test_the_choice_never_breaks_the_policy_or_lacks_a_capability(
    catalogue: list[Target], required: set[str], policy: TenantPolicy, preferred: list[str]
) -> None:
    routed = route(catalogue, required, policy, preferred)
    for target in [*routed.ranked, *routed.fallbacks]:
        assert allowed(target, required, policy)
    for item in routed.filtered:
        assert required <= item.target.capabilities
        assert item.refusals
        assert not allowed(item.target, required, policy)
    for incapable in routed.incapable:
        assert incapable.missing == tuple(sorted(required - incapable.target.capabilities))
        assert incapable.missing
    every = ids(routed.ranked) + ids(i.target for i in routed.filtered)
    assert sorted(every + ids(i.target for i in routed.incapable)) == sorted(ids(catalogue))


@given(targets(), requirements, policies, preferences, st.randoms(use_true_random=False))
def test_the_route_does_not_depend_on_the_catalogues_order(
    catalogue: list[Target],
    required: set[str],
    policy: TenantPolicy,
    preferred: list[str],
    shuffler: Any,
) -> None:
    shuffled = list(catalogue)
    shuffler.shuffle(shuffled)
    assert route(shuffled, required, policy, preferred) == route(
        catalogue, required, policy, preferred
    )


@given(targets(), requirements, policies, preferences)
def test_the_choice_is_a_least_loaded_allowed_candidate(
    catalogue: list[Target], required: set[str], policy: TenantPolicy, preferred: list[str]
) -> None:
    routed: Route = route(catalogue, required, policy, preferred)
    eligible = [target for target in catalogue if allowed(target, required, policy)]
    if not eligible:
        assert routed.chosen is None
        return
    chosen = routed.chosen
    assert chosen is not None
    assert chosen.load == min(target.load for target in eligible)
    keys = [rank_key(target, preferred) for target in routed.ranked]
    assert keys == sorted(keys)
    assert sorted(ids(routed.ranked)) == sorted(ids(eligible))
    assert len(routed.fallbacks) <= 2
    assert all(target.job_type == chosen.job_type for target in routed.fallbacks)
