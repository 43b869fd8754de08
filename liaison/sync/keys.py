"""Identities: each installation signs what it sends (Ed25519) and receives what is encrypted
for it (X25519); the county hub has the same pair. Private keys live in a SecretStore.

A fingerprint (the SHA-256 of both public keys, in groups of four) is what two people read to
each other over the phone before a device is trusted.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.core.secrets import SecretStore

SETUP_FORMAT = 1


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def fingerprint(sign_public: bytes, box_public: bytes) -> str:
    digest = hashlib.sha256(b"liaison-fp" + sign_public + box_public).hexdigest().upper()[:32]
    return "-".join(digest[i : i + 4] for i in range(0, 32, 4))


@dataclass(frozen=True)
class Identity:
    """One side's key pairs (a device or the hub)."""

    owner_id: str
    sign_key: Ed25519PrivateKey
    box_key: X25519PrivateKey

    @property
    def sign_public(self) -> bytes:
        return raw_public(self.sign_key.public_key())

    @property
    def box_public(self) -> bytes:
        return raw_public(self.box_key.public_key())

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sign_public, self.box_public)

    @property
    def key_id(self) -> str:
        """Names the box key inside package headers (kept when keys are rotated)."""
        return hashlib.sha256(self.box_public).hexdigest()[:16]


def load_identity(store: SecretStore, role: str, owner_id: str, *, create: bool) -> Identity | None:
    """The `role` ("device" or "hub") keys from the store, created once when `create`."""
    sign, box = store.get(f"{role}-sign"), store.get(f"{role}-box")
    if sign is None or box is None:
        if not create:
            return None
        sign_key, box_key = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        store.put(f"{role}-sign", sign_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
        store.put(f"{role}-box", box_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
        return Identity(owner_id, sign_key, box_key)
    return Identity(owner_id, Ed25519PrivateKey.from_private_bytes(sign), X25519PrivateKey.from_private_bytes(box))


@dataclass(frozen=True)
class PeerKeys:
    """The other side's public keys, as registered (a hub for a device, a device for the hub)."""

    owner_id: str
    sign_public: bytes
    box_public: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sign_public, self.box_public)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.box_public).hexdigest()[:16]

    def verifier(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.sign_public)

    def box(self) -> X25519PublicKey:
        return X25519PublicKey.from_public_bytes(self.box_public)


class SetupError(LiaisonError):
    pass


def write_setup(hub: Identity, out: Path, *, county_name: str) -> dict[str, object]:
    """The enrolment file a county hands to each village or township (public keys only)."""
    data = {
        "format": SETUP_FORMAT,
        "kind": "liaison-hub-setup",
        "hub_id": hub.owner_id,
        "county": county_name,
        "key_id": hub.key_id,
        "sign_public": b64(hub.sign_public),
        "box_public": b64(hub.box_public),
        "fingerprint": hub.fingerprint,
    }
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    return data


def read_setup(path: Path) -> tuple[PeerKeys, dict[str, object]]:
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("kind") != "liaison-hub-setup" or data.get("format") != SETUP_FORMAT:
            raise ValueError("kind")
        peer = PeerKeys(str(data["hub_id"]), unb64(data["sign_public"]), unb64(data["box_public"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SetupError(_("{p} 不是县级数据中心的配置文件").format(p=path.name)) from exc
    if len(peer.sign_public) != 32 or len(peer.box_public) != 32 or data.get("fingerprint") != peer.fingerprint:
        raise SetupError(_("配置文件 {p} 已损坏或被改动（指纹不符）").format(p=path.name))
    return peer, data
