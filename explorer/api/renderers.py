"""CSV export of the explorer's records: a header row, then one row per record of the page."""

import csv
import io

from rest_framework.renderers import BaseRenderer

from explorer.records import RECORD_COLUMNS

CSV_COLUMNS = (*RECORD_COLUMNS, "source")


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for record in data["requests"]:
            writer.writerow(["" if record[column] is None else record[column] for column in CSV_COLUMNS])
        return out.getvalue().encode(self.charset)
