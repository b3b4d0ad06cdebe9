"""Platform order exports (淘宝/天猫, 京东, 抖店, generic, or a TOML mapping) into the local cache."""

from adapters.csv_import.importer import CsvImportError, ImportReport, Reject, import_file, progress_bar

__all__ = ["CsvImportError", "ImportReport", "Reject", "import_file", "progress_bar"]
