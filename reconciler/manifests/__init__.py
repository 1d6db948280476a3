"""Manifests: YAML files -> one checked `DesiredState` (the planner's only input).

`load_manifests(paths)` reads every manifest under the paths, checks them all
(YAML, schema, duplicates, references, limits) and raises one `ManifestError`
listing every problem. Passwords stay unresolved until `resolve_secrets`, so
that `validate` needs no secret.
"""

from reconciler.manifests.loader import load_manifests
from reconciler.manifests.problems import ManifestError, Problem
from reconciler.manifests.secrets import EnvPassword, resolve_secrets

__all__ = ["EnvPassword", "ManifestError", "Problem", "load_manifests", "resolve_secrets"]
