import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.core.errors import ApplicationError
from creditbank.reviews import workflow
from creditbank.reviews.choices import ApplicationStatus, ReviewEventKind

EVENTS = list(ReviewEventKind.values)


@given(
    st.sampled_from(list(workflow.KINDS)),
    st.sampled_from([ApplicationStatus.SUBMITTED, ApplicationStatus.DRAFT]),
    st.lists(st.sampled_from(EVENTS), max_size=12),
)
def test_no_sequence_of_events_leaves_the_known_states_or_reopens_a_final_one(kind, status, events):
    for event in events:
        if event not in workflow.available_events(kind, status):
            with pytest.raises(ApplicationError) as excinfo:
                workflow.next_status(kind, status, event)
            assert excinfo.value.code == "invalid_transition"
            continue
        new_status = workflow.next_status(kind, status, event)
        assert status not in workflow.FINAL_STATUSES
        assert new_status in ApplicationStatus.values
        status = new_status


def test_first_review_needs_acceptance_first():
    with pytest.raises(ApplicationError):
        workflow.next_status("account_opening", "submitted", "approved")
    assert workflow.next_status("account_opening", "accepted", "approved") == "approved"


def test_available_events():
    assert set(workflow.available_events("account_opening", "submitted")) == {"accepted", "rejected", "returned"}
    assert workflow.available_events("account_opening", "approved") == []


def test_a_deposit_is_accepted_then_certified():
    assert set(workflow.available_events("deposit", "submitted")) == {"accepted", "rejected", "returned", "withdrawn"}
    assert set(workflow.available_events("deposit", "accepted")) == {
        "first_reviewed",
        "certified",
        "rejected",
        "returned",
        "withdrawn",
    }
    assert workflow.next_status("deposit", "accepted", "first_reviewed") == "first_reviewed"
    assert workflow.next_status("deposit", "first_reviewed", "certified") == "approved"
    assert workflow.available_events("deposit", "withdrawn") == []
    assert workflow.next_status("deposit", "accepted", "certified") == "approved"
    with pytest.raises(ApplicationError):
        workflow.next_status("deposit", "accepted", "approved")  # first review is the opening's step


def test_a_draft_is_submitted_or_discarded_by_the_learner_only():
    assert set(workflow.available_events("deposit", "draft")) == {"submitted", "withdrawn"}
    assert workflow.next_status("deposit", "draft", "submitted") == "submitted"
    assert workflow.required_action("deposit", "submitted") is None  # the applicant's own step
    with pytest.raises(ApplicationError):
        workflow.next_status("deposit", "draft", "accepted")  # staff never see a draft


def test_every_declared_step_names_a_known_action_and_every_skip_is_a_valid_path():
    from creditbank.orgs.permissions import ACTIONS

    for kind, spec in workflow.KINDS.items():
        for event, step in spec.steps.items():
            assert event in ReviewEventKind.values
            assert step.action is None or step.action in ACTIONS, (kind, event)
            assert (step.action is None) == (event in workflow.LEARNER_EVENTS), (kind, event)
            assert all(target in ApplicationStatus.values for target in step.moves.values())
        for event, paths in spec.skips.items():
            for status, earlier in paths.items():
                current = status
                for step_event in (*earlier, event):
                    current = workflow.next_status(kind, current, step_event)
                assert current in ApplicationStatus.values
        for action, event in {**spec.api_actions, **workflow.COMMON_API_ACTIONS}.items():
            assert event in spec.steps, (kind, action)


def test_certification_and_first_review_of_deposits_are_for_centres():
    from creditbank.orgs.choices import OrgKind

    assert OrgKind.POINT not in workflow.step("deposit", "certified").org_kinds
    assert OrgKind.POINT not in workflow.step("deposit", "first_reviewed").org_kinds
    assert OrgKind.POINT in workflow.step("deposit", "accepted").org_kinds
    assert workflow.required_action("deposit", "certified") == "reviews.certify"
    assert workflow.skip_path("deposit", "submitted", "certified") == ("accepted",)
    assert workflow.skip_path("account_opening", "submitted", "approved") == ("accepted",)
    assert workflow.skip_path("deposit", "accepted", "accepted") is None


def test_api_action_names_map_to_each_kinds_own_step():
    assert workflow.event_for_api_action("deposit", "approve") == "certified"
    assert workflow.event_for_api_action("deposit", "first-review") == "first_reviewed"
    assert workflow.event_for_api_action("account_opening", "first-review") == "approved"
    assert workflow.event_for_api_action("account_opening", "reject") == "rejected"
    with pytest.raises(ApplicationError) as excinfo:
        workflow.event_for_api_action("account_opening", "certify")
    assert excinfo.value.code == "invalid_transition"
