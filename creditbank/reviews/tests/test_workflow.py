import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.core.errors import ApplicationError
from creditbank.reviews import workflow
from creditbank.reviews.choices import ApplicationStatus, ReviewEventKind

EVENTS = list(ReviewEventKind.values)


@given(st.sampled_from(list(workflow.TRANSITIONS)), st.lists(st.sampled_from(EVENTS), max_size=12))
def test_no_sequence_of_events_leaves_the_known_states_or_reopens_a_final_one(kind, events):
    status = ApplicationStatus.SUBMITTED
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
