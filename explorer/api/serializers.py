"""The explorer's answer, field by field, for the OpenAPI schema (the view builds a plain dict)."""

from rest_framework import serializers

SOURCE_NOTE = "raw: a stored record; sample: kept in the 14-day sample after raw retention dropped the raw rows."


class RecordSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField(help_text="When the request was served (UTC).")
    service = serializers.CharField(help_text="The service's name.")
    node = serializers.CharField(allow_null=True)
    method = serializers.CharField()
    endpoint = serializers.CharField()
    status = serializers.IntegerField()
    response_time = serializers.IntegerField(min_value=0, help_text="Milliseconds.")
    consumer = serializers.CharField()
    context = serializers.CharField(allow_null=True)
    source = serializers.ChoiceField(choices=["raw", "sample"], help_text=SOURCE_NOTE)


class RequestsSerializer(serializers.Serializer):
    requests = RecordSerializer(many=True, help_text="At most `limit` records, in the order `sort` asks for.")
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Pass as `cursor` for the next page; null on the last page."
    )
    source = serializers.ChoiceField(
        choices=["raw", "sample", "mixed"],
        help_text="Where the range's records come from: raw rows (raw retention, 6 hours by default), the sample "
        "(older), or both (raw for the recent part).",
    )
    sampled = serializers.BooleanField(help_text="Whether any record of this page comes from the sample.")
    sample_note = serializers.CharField(
        allow_null=True, help_text="What the sample keeps, when the range reaches into it; null otherwise."
    )
    total = serializers.IntegerField(
        allow_null=True,
        min_value=0,
        help_text="How many records match, when all of them are still raw (then it equals the metrics API's "
        "total_requests for the same filters and range); null when part of the range is only sampled.",
    )
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField()
    sort = serializers.ChoiceField(choices=["time", "latency"])
