"""Read Datadoc documents with Statistics Norway's own reader and print what it makes of them, as JSON.

Runs in the reader's own virtualenv (Python 3.12, dapla-toolbelt-metadata; see dataprodukt.datadoc.toolbelt), never
in the project's. ``python toolbelt_reader.py DOC__DOC.json [...]`` prints one object:
{"documents": [{"path", "percent_complete", "missing_dataset", "missing_variables", "missing_pseudonymization",
"warnings", "log", "variables"}, ...]}. Reading needs no network; nothing is written.
"""

import json
import logging
import sys
import warnings

from dapla_metadata.datasets import Datadoc
from dapla_metadata.datasets.model_validation import ValidateDatadocMetadata
from dapla_metadata.datasets.utility import utils


class Collect(logging.Handler):
    """Every log record at WARNING or above (the reader logs URLs it can't convert at ERROR)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def read(path: str) -> dict[str, object]:
    log = Collect()
    logging.getLogger().addHandler(log)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            meta = Datadoc(metadata_document_path=path)
            percent = meta.percent_complete
            # reading emits no Obligatory*Warning: the model validators do, as writing the document would
            ValidateDatadocMetadata(percentage_complete=percent, dataset=meta.dataset, variables=meta.variables)
    finally:
        logging.getLogger().removeHandler(log)
    return {
        "path": path,
        "percent_complete": percent,
        "missing_dataset": utils.get_missing_obligatory_dataset_fields(meta.dataset),
        "missing_variables": utils.get_missing_obligatory_variables_fields(meta.variables),
        "missing_pseudonymization": utils.get_missing_obligatory_variables_pseudo_fields(meta.variables),
        "warnings": [f"{item.category.__name__}: {item.message}" for item in caught],
        "log": log.records,
        "variables": {
            str(variable.short_name): {
                "classification_uri": _text(variable.classification_uri),
                "definition_uri": _text(variable.definition_uri),
                "pseudonymization": (
                    variable.pseudonymization.model_dump(mode="json", exclude_none=True)
                    if variable.pseudonymization
                    else None
                ),
            }
            for variable in meta.variables
        },
    }


if __name__ == "__main__":
    print(json.dumps({"documents": [read(path) for path in sys.argv[1:]]}, ensure_ascii=False))
