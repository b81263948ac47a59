"""The short type-in code of an invitation: for a patient who cannot scan or type a link.

A code is 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U/V), shown
grouped as ``ABCD-EFGH-JK``; typed in any case, with or without spaces or dashes. 29¹⁰ ≈
4 × 10¹⁴ codes (48 bits): with the token's rate limits (a few failed lookups per address
per minutes) guessing one of the live codes is hopeless.

It is *derived* from the invitation's token (a hash of it), so the code needs no storage
of its own: whoever holds the token (the "invitation created" page, the letter) can show
it, and nothing else can. The database keeps only a keyed hash of the code
(``code_hash``: HMAC with the site's secret key), so a leaked table cannot be brute-forced
offline across the small code space without the key. (Rotating ``SECRET_KEY`` stops the
codes of existing invitations from working; their links keep working.)
"""

from __future__ import annotations

import hashlib
import re

from django.utils.crypto import salted_hmac

ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
CODE_LENGTH = 10
GROUPS = (4, 4, 2)
_HMAC_SALT = "sdm.invitation-code"
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.]+")
CODE_PATTERN = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def code_for_token(token: str) -> str:
    """The invitation's code: 10 alphabet characters derived from a hash of its token."""
    number = int.from_bytes(hashlib.sha256(b"sdm-code:" + token.encode("utf-8")).digest(), "big")
    characters = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        characters.append(ALPHABET[index])
    return "".join(characters)


def code_hash(code: str) -> str:
    """What the database stores for a (normalised) code: a keyed hash, never the code."""
    return salted_hmac(_HMAC_SALT, code, algorithm="sha256").hexdigest()


def normalise_code(typed: str) -> str | None:
    """The code a patient typed, in canonical form, or None when it cannot be a code."""
    if not isinstance(typed, str) or len(typed) > 40:
        return None
    code = _SEPARATORS.sub("", typed).upper()
    return code if CODE_PATTERN.match(code) else None


def looks_like_code(text: str) -> bool:
    """Whether a URL's token part is a canonical code (a real token has 43 characters)."""
    return isinstance(text, str) and bool(CODE_PATTERN.match(text))


def grouped(code: str) -> str:
    """``ABCDEFGHJK`` → ``ABCD-EFGH-JK``, as the letter and the page show it."""
    parts, start = [], 0
    for size in GROUPS:
        parts.append(code[start : start + size])
        start += size
    return "-".join(part for part in parts if part)
