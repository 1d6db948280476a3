"""Export: the live account -> manifest files that plan clean against it.

`export_account` is the `export` command end to end (read, write, report);
`export_manifests` turns a `LiveState` into file texts without touching disk.
"""

from reconciler.export.documents import ExportError, ExportResult, export_manifests
from reconciler.export.run import export_account

__all__ = ["ExportError", "ExportResult", "export_account", "export_manifests"]
