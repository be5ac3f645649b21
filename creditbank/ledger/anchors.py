"""Publishing checkpoints elsewhere (锚定), so that the operator cannot quietly rewrite history:
once a signed checkpoint is in someone else's hands, a later tree that is not consistent with it
is proof of tampering.

Anchors are chosen by ``CREDITBANK_LEDGER_ANCHORS``, a list of ``<kind>:<target>`` strings
(comma-separated in the environment):

- ``file:/path/to/checkpoints.txt`` appends each checkpoint note (a blank line between notes) to
  a file, e.g. on storage the operator does not control (a WORM bucket mount, another host);
- ``webhook:https://witness.example.org/checkpoints`` POSTs ``{"origin", "size", "root_hash",
  "note", "verifier_key"}`` as JSON and counts any 2xx answer as taken;
- ``some.module.Class:target`` any subclass of ``Anchor``, constructed with the target.
"""

from __future__ import annotations

import fcntl
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


class AnchorError(RuntimeError):
    """The anchor did not take the checkpoint (it is tried again with the next checkpoint run)."""


class Anchor:
    """Where checkpoints are published. ``publish`` returns a short receipt text or raises
    ``AnchorError``."""

    kind = "anchor"

    def __init__(self, target: str) -> None:
        self.target = target

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.target}"[:200]

    def publish(self, checkpoint: Any) -> str:
        raise NotImplementedError


def _payload(checkpoint: Any) -> dict[str, Any]:
    from creditbank.ledger import selectors

    return {
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root_hash": bytes(checkpoint.root_hash).hex(),
        "note": checkpoint.note,
        "verifier_key": selectors.verifier_key(),
    }


class FileAnchor(Anchor):
    """Appends the note to a file, under an exclusive lock, and flushes it to disk."""

    kind = "file"

    def publish(self, checkpoint: Any) -> str:
        path = Path(self.target)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                separator = "\n" if handle.tell() else ""
                handle.write(separator + checkpoint.note)
                handle.flush()
                offset = handle.tell()
        except OSError as exc:
            raise AnchorError(f"cannot append to {path}: {exc.strerror or exc}") from exc
        return f"appended, file now {offset} bytes"


class WebhookAnchor(Anchor):
    """POSTs the checkpoint as JSON; a 2xx answer means taken."""

    kind = "webhook"
    timeout = 10

    def publish(self, checkpoint: Any) -> str:
        if not self.target.startswith(("https://", "http://")):
            raise AnchorError("a webhook anchor needs an http(s) URL")
        body = json.dumps(_payload(checkpoint), ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self.target,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "creditbank-ledger"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
                text = response.read(200).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            raise AnchorError(f"the webhook answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise AnchorError(f"the webhook could not be reached: {getattr(exc, 'reason', exc)}") from exc
        if not 200 <= status < 300:
            raise AnchorError(f"the webhook answered {status}")
        return f"{status} {text}".strip()


KINDS: dict[str, type[Anchor]] = {"file": FileAnchor, "webhook": WebhookAnchor}


def from_spec(spec: str) -> Anchor:
    kind, sep, target = spec.strip().partition(":")
    if not sep or not target:
        raise ValueError(f"an anchor is <kind>:<target>, not {spec!r}")
    anchor_class = KINDS.get(kind)
    if anchor_class is None:
        anchor_class = import_string(kind)
        if not (isinstance(anchor_class, type) and issubclass(anchor_class, Anchor)):
            raise ValueError(f"{kind} is not an Anchor")
    return anchor_class(target)


def configured() -> list[Anchor]:
    return [from_spec(spec) for spec in getattr(settings, "CREDITBANK_LEDGER_ANCHORS", [])]
