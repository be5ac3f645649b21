"""did:web and did:key resolution, and the guards on fetching other issuers' documents."""

from __future__ import annotations

import socket

import pytest

from creditbank.credentials import did, fetch
from creditbank.credentials.fetch import http_get as real_http_get
from creditbank.credentials.multibase import encode_ed25519_multikey
from creditbank.credentials.tests.vectors import load, needs_vectors


@pytest.mark.parametrize(
    ("value", "url"),
    [
        # did:web §3.2.2 examples
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
    ],
)
def test_did_web_urls(value, url):
    assert did.did_web_url(value) == url


@pytest.mark.parametrize(
    "value",
    [
        "did:web:",
        "did:web:exa mple.com",
        "did:web:example.com:..:x",
        "did:web:example.com::x",
        "did:key:z6Mk",
        "did:web:-x",
    ],
)
def test_bad_did_web_values_are_unresolvable(value):
    with pytest.raises(did.ResolutionError) as error:
        did.did_web_url(value)
    assert error.value.code == "verification_method_unresolvable"


def test_our_did_is_the_public_host_with_the_port_percent_encoded(settings):
    # given
    settings.CREDITBANK_PUBLIC_URL = "http://127.0.0.1:8000"
    # then
    assert did.own_did() == "did:web:127.0.0.1%3A8000"
    settings.CREDITBANK_PUBLIC_URL = "https://xf.ahlll.edu.cn"
    assert did.own_did() == "did:web:xf.ahlll.edu.cn"
    assert did.own_verification_method().startswith("did:web:xf.ahlll.edu.cn#z6Mk")


def test_our_own_did_is_resolved_without_http():
    # given: the test conftest makes every fetch fail
    method = did.own_verification_method()
    # when
    key = did.resolve_verification_method(method)
    # then
    assert key.controller == did.own_did()
    from creditbank.core import signing

    assert key.public_key == signing.public_key_bytes()


@needs_vectors
def test_the_vectors_did_key_resolves_to_its_key():
    # given
    pair = load("vc-di-eddsa/keyPair.json")
    method = load("vc-di-eddsa/eddsa-jcs-2022/proofConfigJCS.json")["verificationMethod"]
    # when
    key = did.resolve_verification_method(method)
    # then
    assert encode_ed25519_multikey(key.public_key) == pair["publicKeyMultibase"]
    assert key.controller == "did:key:" + pair["publicKeyMultibase"]


def test_a_did_key_with_another_fragment_is_not_found():
    multikey = encode_ed25519_multikey(bytes(32))
    with pytest.raises(did.ResolutionError) as error:
        did.resolve_verification_method(f"did:key:{multikey}#other")
    assert error.value.code == "verification_method_not_found"


def test_a_jwk_key_in_a_did_web_document_resolves(monkeypatch):
    # given
    import base64

    raw = bytes(range(32))
    document = {
        "id": "did:web:issuer.example",
        "verificationMethod": [
            {
                "id": "did:web:issuer.example#jwk",
                "type": "JsonWebKey",
                "controller": "did:web:issuer.example",
                "publicKeyJwk": {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": base64.urlsafe_b64encode(raw).decode().rstrip("="),
                },
            }
        ],
        "assertionMethod": ["did:web:issuer.example#jwk"],
    }
    monkeypatch.setattr(fetch, "http_get", lambda url, *, timeout: __import__("json").dumps(document).encode())
    # when
    key = did.resolve_verification_method("did:web:issuer.example#jwk")
    # then
    assert key.public_key == raw


def test_fetching_refuses_plain_http_and_private_addresses(monkeypatch):
    # given: example.org resolving to a private address (no network is used)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: [(None, None, None, "", ("10.0.0.8", 443))])
    # when
    with pytest.raises(fetch.FetchError) as plain:
        real_http_get("http://example.org/did.json", timeout=1)
    with pytest.raises(fetch.FetchError) as private:
        real_http_get("https://example.org/.well-known/did.json", timeout=1)
    # then
    assert "https" in str(plain.value)
    assert "private" in str(private.value)


def test_failures_are_cached_briefly_too(monkeypatch):
    # given
    calls = []

    def failing(url, *, timeout):
        calls.append(url)
        raise fetch.FetchError("unreachable", "HTTP 500")

    monkeypatch.setattr(fetch, "http_get", failing)
    # when
    for _ in range(3):
        with pytest.raises(fetch.FetchError):
            fetch.fetch_json("https://issuer.example/.well-known/did.json")
    # then
    assert calls == ["https://issuer.example/.well-known/did.json"]


def test_a_document_that_is_not_a_json_object_is_malformed(monkeypatch):
    monkeypatch.setattr(fetch, "http_get", lambda url, *, timeout: b"[1, 2]")
    with pytest.raises(fetch.FetchError) as error:
        fetch.fetch_json("https://issuer.example/list")
    assert error.value.code == "malformed"


@pytest.mark.parametrize("host", ["a]b", "[", "[zz]", "a[b]"])
def test_a_did_web_host_that_no_url_can_hold_is_unresolvable_not_an_internal_error(monkeypatch, host):
    # given: the real fetcher, and no network (nothing may be resolved)
    from creditbank.credentials.tests.helpers import did_key_issuer
    from creditbank.credentials.verification import verify

    def no_dns(*args, **kwargs):
        raise AssertionError("nothing should be resolved")

    monkeypatch.setattr(fetch, "http_get", real_http_get)
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    method = f"did:web:{host}#key-1"
    signer = did_key_issuer()
    document = signer.sign(signer.credential(issuer={"id": f"did:web:{host}"}), method=method)
    # when
    verdict = verify(document)
    # then
    with pytest.raises(fetch.FetchError):
        real_http_get(f"https://{host}/.well-known/did.json", timeout=1)
    assert (verdict.valid, verdict.code) == (False, "verification_method_unresolvable")


def test_the_fetch_connects_to_the_address_it_checked(monkeypatch):
    # given: a name that resolves to a public address when checked and to a private one afterwards
    # (DNS rebinding), and no network (the connection is refused where it would be made)
    answers = iter([("93.184.215.14", 443), ("127.0.0.1", 443), ("127.0.0.1", 443), ("127.0.0.1", 443)])
    connected = []

    def rebinding_dns(host, port, *args, **kwargs):
        address = next(answers)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)]

    def no_connection(address, *args, **kwargs):
        connected.append(address[0])
        raise OSError("no network in tests")

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    monkeypatch.setattr(socket, "create_connection", no_connection)
    # when
    with pytest.raises(fetch.FetchError) as error:
        real_http_get("https://rebinding.example/.well-known/did.json", timeout=1)
    # then: the address that was checked is the one connected to, never the second answer
    assert error.value.code == "unreachable"
    assert connected == ["93.184.215.14"]
