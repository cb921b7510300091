"""Reports: self-contained HTML, and (elsewhere) PDF, CSV / XLSX and JSON."""
