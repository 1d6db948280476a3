"""Fingerprints of the passwords a saved plan sets, so that `apply --plan` refuses another one.

A plan never holds a password: its bodies say `{"$secret": VARIABLE}` and apply reads the
variable. Between `plan --out` and `apply --plan` the variable may change (another shell,
another CI secret); the plan keeps, per variable, `salt:scrypt(value, salt)` and apply
compares. scrypt (n=2**14, r=8: 16 MiB and ~50 ms a try) makes guessing a password from
the plan file cost what guessing it against any scrypt store costs; the salt is derived
from the manifests digest and the variable, so equal inputs still give byte-identical plans.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Mapping

from reconciler.plan.operations import Operation

SCRYPT_COST = {"n": 2**14, "r": 8, "p": 1}


def secret_variables(value: object) -> Iterator[str]:
    """The variables named by the `{"$secret": VARIABLE}` placeholders in `value`."""
    if isinstance(value, dict):
        if set(value) == {"$secret"}:
            yield value["$secret"]
            return
        value = list(value.values())
    if isinstance(value, list):
        for element in value:
            yield from secret_variables(element)


def operation_variables(operations: Iterable[Operation]) -> dict[str, list[str]]:
    """Each variable the operations read, with the keys of the items that read it."""
    variables: dict[str, list[str]] = {}
    for operation in operations:
        for key, part in operation.entries():
            for variable in secret_variables(part):
                variables.setdefault(variable, []).append(key)
    return variables


def _digest(value: str, salt: bytes) -> str:
    return hashlib.scrypt(value.encode(), salt=salt, maxmem=64 * 2**20, **SCRYPT_COST).hex()


def password_fingerprints(operations: Iterable[Operation], manifests_digest: str,
                          environ: Mapping[str, str]) -> dict[str, str]:
    """`salt:digest` (hex) for each variable the plan reads that has a value now."""
    fingerprints = {}
    for variable in sorted(operation_variables(operations)):
        if environ.get(variable):
            salt = hashlib.sha256(f"{manifests_digest}\0{variable}".encode()).digest()[:16]
            fingerprints[variable] = f"{salt.hex()}:{_digest(environ[variable], salt)}"
    return fingerprints


def changed_passwords(fingerprints: Mapping[str, str], environ: Mapping[str, str]) -> list[str]:
    """The variables whose value now differs from the one planned (set ones only: an unset
    variable is refused on its own)."""
    changed = []
    for variable, recorded in sorted(fingerprints.items()):
        salt, _, digest = recorded.partition(":")
        value = environ.get(variable)
        if value and not hmac.compare_digest(_digest(value, bytes.fromhex(salt)), digest):
            changed.append(variable)
    return changed
