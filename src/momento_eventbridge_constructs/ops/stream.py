"""Reading back the stream records a pipe's dead letter names.

A pipe's dead letter for a DynamoDB stream source holds the shard and the range of sequence
numbers of the failed batch, not the records (see the project's reference notes on Pipes
dead-letter messages; the shape is seen in public reports, not documented by AWS). The records
stay readable for the stream's 24-hour retention; after that, asking for them fails with
``TrimmedDataAccessException``
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetShardIterator.html).
"""

from __future__ import annotations

from typing import Any

from publication import publish

from .aws import aws_error_code

__all__ = ["StreamExpired", "read_range", "table_name_of_stream"]

# Codes that mean the records are gone: trimmed after 24 hours, or the stream or shard no
# longer exists (a disabled stream, a deleted table).
_GONE = ("TrimmedDataAccessException", "ResourceNotFoundException")
_MAX_EMPTY_PAGES = 3


class StreamExpired(Exception):
    """The named records can no longer be read from the stream."""


def table_name_of_stream(stream_arn: str) -> str:
    """``arn:aws:dynamodb:r:a:table/NAME/stream/LABEL`` -> ``NAME`` (the reference's stream
    ARN, ``table/${TableName}/stream/${StreamLabel}``, list_amazondynamodb.html
    #amazondynamodb-resources-for-iam-policies)."""
    resource = stream_arn.split(":", 5)[-1]
    parts = resource.split("/")
    if len(parts) < 2 or parts[0] != "table":
        raise ValueError(f"{stream_arn} is not a DynamoDB stream ARN")
    return parts[1]


def read_range(
    streams: Any, stream_arn: str, shard_id: str, first: str, last: str
) -> list[dict[str, Any]]:
    """The records of ``shard_id`` with sequence numbers from ``first`` to ``last``.

    Raises:
        StreamExpired: the records were trimmed, or the stream or shard is gone.
    """
    from botocore.exceptions import ClientError

    start, end = int(first), int(last)
    found: list[dict[str, Any]] = []
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn,
            ShardId=shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=first,
        )["ShardIterator"]
        empty_pages = 0
        while iterator and empty_pages < _MAX_EMPTY_PAGES:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records = page.get("Records", [])
            empty_pages = 0 if records else empty_pages + 1
            for record in records:
                number = int(record["dynamodb"]["SequenceNumber"])
                if number > end:
                    return found
                if number >= start:
                    found.append(record)
                if number == end:
                    return found
            iterator = page.get("NextShardIterator")
    except ClientError as error:
        if aws_error_code(error) in _GONE:
            raise StreamExpired(str(error)) from error
        raise
    return found


publish()
