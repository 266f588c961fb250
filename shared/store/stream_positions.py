"""How far an item has handled a DynamoDB stream: the sequence number of the last record it took in, as a mark that
compares as text in stream order (what makes a batch delivered again change nothing twice)."""

from __future__ import annotations

# A DynamoDB stream sequence number has 21 to 40 digits: padded, they compare as text in the order they were given.
_SEQUENCE_DIGITS = 40


def sequence_mark(sequence_number: str) -> str:
    return sequence_number.zfill(_SEQUENCE_DIGITS)
