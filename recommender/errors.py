"""One exception hierarchy, so actions can catch recommender failures and reply politely."""


class RecommenderError(Exception):
    """Base of every error the recommender raises on purpose."""

    # whether the message may quote the person's own words (then logs name the error's type only)
    quotes_user_text = False


class ConfigurationError(RecommenderError):
    """A setting is missing or invalid; the message names the setting and the fix."""


class CatalogEmptyError(RecommenderError):
    """The catalog has no items yet: run `python -m recommender ingest` first."""


class UnknownItemError(RecommenderError):
    """An item id that is not in the catalog (for example a forged feedback payload)."""

    def __init__(self, item_id: str) -> None:
        super().__init__(f"item {item_id!r} is not in the catalog")
        self.item_id = item_id


class InvalidFeedbackError(RecommenderError):
    """Feedback with an unknown kind or an out-of-range value."""


class ImportValidationError(RecommenderError):
    """A catalog file has bad rows; nothing was imported.

    `problems` lists (line number, reason) pairs so the user can fix the file.
    """

    def __init__(self, source: str, problems: list[tuple[int, str]]) -> None:
        shown = "\n".join(f"  line {line}: {reason}" for line, reason in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{source}: {len(problems)} bad row(s), nothing imported:\n{shown}{more}")
        self.source = source
        self.problems = problems


class AmbiguousItemError(RecommenderError):
    """Feedback or a question that does not say which item it is about."""

    quotes_user_text = True  # "could not resolve 'the one with the guy' to a shown item"


class DataSourceError(RecommenderError):
    """A source file is missing or unreadable, or a dataset download failed.

    The message names the path (or the command that failed) and how to fix it.
    """


class CorruptModelError(RecommenderError):
    """A model version's files are missing, partial or do not match their recorded checksums.

    The service refuses such a version and keeps serving the one it has.
    """
