"""Reading numbers out of query parameters, where anything at all may arrive."""

# Ids and years are stored in 64-bit integer columns; a bigger number can match nothing.
LARGEST_ID = 2**63 - 1


def whole_number(value: str, *, largest: int = LARGEST_ID) -> int | None:
    """Return `value` as a whole number if it is written in ASCII digits 0-9 and at most `largest`, else None.

    `str.isdigit()` alone accepts "²" and "٣", which int() then refuses or reads as another number.
    """
    if not value or len(value) > 19 or not (value.isascii() and value.isdecimal()):
        return None
    number = int(value)
    return number if number <= largest else None
