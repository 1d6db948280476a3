"""Manifests: YAML files -> one checked `DesiredState` (the planner's only input).

`load_manifests(paths)` reads every manifest under the paths, checks them all
(YAML, schema, duplicates, references, limits) and raises one `ManifestError`
listing every problem. Passwords stay unresolved until `resolve_secrets`, so
that `validate` needs no secret. `load_texts` checks texts already in memory
(an export before it is written); `schema_text` is the JSON schema the
manifests follow, written next to exports as `SCHEMA_FILE`. `weight_notes` and
`expiry_warnings` are the lines valid manifests still deserve (a rotation's
shares; an `expires.on` already past, which `plan` shows as a warning).
"""

from reconciler.manifests.loader import load_manifests, load_texts
from reconciler.manifests.notes import expiry_warnings, weight_notes
from reconciler.manifests.problems import ManifestError, Problem
from reconciler.manifests.schema import SCHEMA_FILE, schema_text
from reconciler.manifests.secrets import EnvPassword, resolve_secrets

__all__ = [
    "SCHEMA_FILE",
    "EnvPassword",
    "ManifestError",
    "Problem",
    "expiry_warnings",
    "load_manifests",
    "load_texts",
    "resolve_secrets",
    "schema_text",
    "weight_notes",
]
