"""nbgrader preprocessors the course adds (configured in nbgrader_config.py)."""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer


class CapOutput(NbGraderPreprocessor):
    """Cut every text output to `max_chars` (nbgrader's LimitOutput counts lines, so one
    50 MB line would pass), keeping graded notebooks and feedback small."""

    max_chars = Integer(20_000, help="characters kept per output").tag(config=True)

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return text[: self.max_chars] + f"\n... [output cut: {len(text):,} characters, {self.max_chars:,} kept]\n"

    def preprocess_cell(self, cell, resources, cell_index):
        for output in cell.get("outputs", []):
            if "text" in output:
                text = output.text if isinstance(output.text, str) else "".join(output.text)
                output.text = self._cut(text)
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/"):
                    output.data[mime] = self._cut(value if isinstance(value, str) else "".join(value))
            if output.get("output_type") == "error":
                output.evalue = self._cut(output.get("evalue", ""))
                output.traceback = [self._cut(line) for line in output.get("traceback", [])[-50:]]
        return cell, resources
