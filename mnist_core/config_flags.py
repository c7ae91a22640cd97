"""Command-line flags generated from a configuration dataclass, so names, types, defaults and help
have one source: the dataclass's fields (help in each field's metadata, see `option`)."""

from __future__ import annotations

import argparse
import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, TypeVar

C = TypeVar("C")


def option(default: Any, help: str, flag: str = "") -> Any:
    """A dataclass field with the help (and optionally the flag) that its command-line flag shows."""
    return dataclasses.field(default=default, metadata={"help": help, "flag": flag})


@dataclass(frozen=True)
class Flag:
    path: str  # the field, dotted through nested configurations: "augmentation.elastic_px"
    flag: str  # "--elastic"
    type: type
    help: str
    default: Any


def flags(cls: type, prefix: str = "") -> list[Flag]:
    """Every field of `cls` with help in its metadata, nested configurations' fields included."""
    hints = typing.get_type_hints(cls)
    out: list[Flag] = []
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            out += flags(kind, f"{prefix}{f.name}.")  # type: ignore[arg-type]
        elif "help" in f.metadata:
            name = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
            out.append(Flag(prefix + f.name, name, kind, f.metadata["help"], f.default))
    return out


def add_flags(parser: argparse.ArgumentParser, cls: type) -> None:
    """One flag per field; each defaults to None, meaning "as the recipe says"."""
    for f in flags(cls):
        if f.type is bool:
            parser.add_argument(f.flag, action="store_const", const=True, dest=f.path, help=f.help)
        else:
            parser.add_argument(f.flag, type=f.type, dest=f.path, metavar=f.path.split(".")[-1].upper(), help=f.help)


def given(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The flags of `cls` given on the command line, by dotted field path."""
    return {f.path: getattr(args, f.path) for f in flags(cls) if getattr(args, f.path, None) is not None}


def value_of(config: Any, path: str) -> Any:
    """The value of a dotted field path in `config`: value_of(cfg, "augmentation.elastic_px")."""
    for name in path.split("."):
        config = getattr(config, name)
    return config


def with_values(config: C, values: dict[str, Any]) -> C:
    """`config` with dotted-path `values` set (nested configurations replaced, each validated again)."""
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for path, value in values.items():
        head, _, rest = path.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            top[head] = value
    for head, sub in nested.items():
        top[head] = with_values(getattr(config, head), sub)
    return dataclasses.replace(config, **top)  # type: ignore[type-var]
