"""mnist-feedback: export, count or delete the corrections users submitted (feedback.FeedbackStore).

Exit codes: 0 done, 1 a deletion declined at the prompt, 2 an error (one `error: ...` line on stderr).
"""

from __future__ import annotations

import argparse
import sys

from .errors import fail as _fail
from .feedback import FeedbackStats, FeedbackStore, FeedbackUnavailable
from .paths import HOME_ENV, set_home

NOT_A_DIGIT_ROW = "no digit"  # the stats table's row of corrections saying "this is not a digit"
NONE_COLUMN = "none"  # ... and its column of answers that were no digit


def _parser() -> argparse.ArgumentParser:
    about = "Export, count or delete the corrections users submitted."
    p = argparse.ArgumentParser(prog="mnist-feedback", description=about)
    p.add_argument("--home", help=f"the data folder holding feedback.sqlite3 (default: ${HOME_ENV}, "
                   "else the platform's user data folder)")  # fmt: skip
    p.add_argument("--db", help="the corrections database file itself (overrides --home)")
    sub = p.add_subparsers(dest="command", required=True, metavar="{export,stats,clear}")
    export = sub.add_parser("export", help="write each correction as a PNG, plus labels.csv, into DIR")
    export.add_argument("dir", help="the folder to write into (created if missing)")
    export.add_argument("--session", help="only this browser session's corrections")
    stats = sub.add_parser("stats", help="a table of corrections per true and predicted digit")
    stats.add_argument("--session", help="only this browser session's corrections")
    clear = sub.add_parser("clear", help="delete the corrections (asks first)")
    clear.add_argument("--yes", action="store_true", help="do not ask")
    clear.add_argument("--session", help="only this browser session's corrections")
    return p


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def feedback_main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.home:
        set_home(args.home)
    store = FeedbackStore(args.db)
    try:
        if args.command == "export":
            return _export(store, args.dir, args.session)
        if args.command == "stats":
            print(format_stats(store.stats(args.session)))
            return 0
        return _clear(store, args.yes, args.session)
    except FeedbackUnavailable as exc:
        return _fail(str(exc))


def _export(store: FeedbackStore, folder: str, session: str | None) -> int:
    csv_path = store.export(folder, session)
    with open(csv_path, encoding="utf-8") as f:
        n = sum(1 for _ in f) - 1  # the rows written, not a second count that may have changed since
    print(f"exported {_count(n, 'correction')} to {csv_path.parent} (labels in {csv_path.name})")
    return 0


def _clear(store: FeedbackStore, yes: bool, session: str | None) -> int:
    n = store.count(session)
    if n == 0:
        print("there are no corrections to delete")
        return 0
    if not yes and not _confirm(f"Delete {_count(n, 'correction')}? [y/N] "):
        print("nothing deleted")
        return 1
    print(f"deleted {_count(store.clear(session), 'correction')}")
    return 0


def _confirm(question: str) -> bool:
    try:
        answer = input(question)
    except EOFError:  # no terminal and nothing piped in: the safe answer
        return False
    return answer.strip().lower() in ("y", "yes")


def format_stats(stats: FeedbackStats) -> str:
    """A table of counts: rows the true label, columns the model's answer, with totals."""
    if stats["total"] == 0:
        return "no corrections yet"
    labels: list[int | None] = [*range(10), None]
    pairs = stats["pairs"]
    columns = [str(d) for d in range(10)] + [NONE_COLUMN, "total"]
    counts = f"{_count(stats['total'], 'correction')} from {_count(stats['sessions'], 'session')}"
    lines = [f"{counts}; rows: the true label, columns: the model's answer", ""]
    lines.append(f"{'':>9}" + "".join(f"{c:>6}" for c in columns))
    for label in labels:
        if not stats["by_label"].get(label):
            continue
        row = [pairs.get((label, predicted), 0) for predicted in labels]
        cells = [str(c) if c else "." for c in row] + [str(stats["by_label"][label])]
        lines.append(f"{NOT_A_DIGIT_ROW if label is None else label:>9}" + "".join(f"{c:>6}" for c in cells))
    totals = [stats["by_predicted"].get(p, 0) for p in labels]
    lines.append(f"{'total':>9}" + "".join(f"{c:>6}" for c in [*totals, stats["total"]]))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(feedback_main())
