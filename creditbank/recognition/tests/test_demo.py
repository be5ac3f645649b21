import pytest

from creditbank.archive.models import Outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.recognition import services
from creditbank.recognition.demo_data import DEMO_MAPPINGS, demo_signed_credential, load_demo_recognition

pytestmark = pytest.mark.django_db


def test_demo_standard_is_published_once_and_its_signed_credential_imports(tree, learner_a):
    # given: the demo catalog's items that the demo standard maps
    for _code, name, item_code, _note in DEMO_MAPPINGS:
        make_item(code=item_code, name=name)
    # when
    standard = load_demo_recognition()
    again = load_demo_recognition()
    # then
    assert (again.pk, standard.status, standard.region_code) == (standard.pk, "published", "310000")
    assert standard.mappings.count() == 5
    # and a Shanghai-signed credential for the learner imports, found by the ID number in it
    result = services.import_credential(
        None, demo_signed_credential(learner_a.id_number), standard=standard, actor=None
    )
    assert (result.imported, result.errors, result.verdict["valid"]) == (1, 0, True)
    assert Outcome.objects.get(learner=learner_a).item_code == "ZK-03709"


def test_the_demo_partner_is_the_demo_standards_trusted_issuer_so_a_learner_can_upload_its_credential(
    tree, learner_a, learner_client
):
    import json

    for _code, name, item_code, _note in DEMO_MAPPINGS:
        make_item(code=item_code, name=name)
    standard = load_demo_recognition()
    # when the learner uploads a credential the demo partner signed for them
    credential = demo_signed_credential(learner_a.id_number, partner_code="SH-LN-SF-01")
    response = learner_client.post(
        "/api/v1/me/recognitions", {"standard": standard.code, "credential_json": json.dumps(credential)}
    )
    # then it is accepted: the partner's did:key is the one the standard names
    assert response.status_code == 201, response.content
    assert Outcome.objects.get(learner=learner_a).item_code == "LN-01-1"
    assert credential["issuer"]["id"] in standard.trusted_issuer_list()
