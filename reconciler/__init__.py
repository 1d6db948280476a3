"""clickmeter-reconciler: ClickMeter datapoints, tags, groups and conversions managed as code.

The stages are sub-packages, each with its public names in `__all__`
(docs/api.md lists them): `manifests`, `clickmeter`, `live`, `plan`, `apply`,
`export`, `stats`, `render`, `server`. Here: the error every stage raises, and
the target every command runs against.
"""

from reconciler.errors import ReconcilerError
from reconciler.target import TargetOptions, open_client

__version__ = "0.1.0"

__all__ = ["ReconcilerError", "TargetOptions", "__version__", "open_client"]
