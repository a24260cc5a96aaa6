"""Names a domain derives from its folder name. Standard library only: the template's
copy-time hook imports this module too, so every name is derived in this one place."""

import keyword
import re

IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_IRREGULAR = {"people": "person", "children": "child", "men": "man", "women": "woman", "mice": "mouse"}
# Words that end in "s" in the singular already.
_KEEP = ("ss", "us", "is", "news", "series", "species")


def singular(word: str) -> str:
    """`order_items` -> `order_item`, `categories` -> `category`: the last word is made singular."""
    head, _, last = word.rpartition("_")
    prefix = f"{head}_" if head else ""
    if last in _IRREGULAR:
        return prefix + _IRREGULAR[last]
    if last.endswith(_KEEP):
        return word
    if last.endswith("ies") and len(last) > 3:
        return prefix + last[:-3] + "y"
    if last.endswith(("sses", "xes", "zes", "ches", "shes")):
        return prefix + last[:-2]
    if last.endswith("s") and len(last) > 1:
        return prefix + last[:-1]
    return word


def class_name(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def is_identifier(name: str) -> bool:
    return bool(IDENTIFIER.match(name)) and not keyword.iskeyword(name)
