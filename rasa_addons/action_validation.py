"""Rasa checks the action server's JSON schema on every custom action: a third of its time per turn.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate(result, schema)`, which
first validates the *schema* against JSON Schema's meta-schema (`check_schema`) and only then the
response. The schema is a constant of Rasa (`RemoteAction.action_response_format_spec()`), so that
first step gives the same answer every time; with Rasa's large events schema it took 35% of the
Rasa server's CPU in a load test (py-spy, 2026-12-06; docs/load.md).

`install()` replaces the method with one that checks the schema once and keeps the validator: the
same schema, the same validator class, the same `best_match` error with Rasa's message appended.
Idempotent; a Rasa without that method is left alone (and says so in the log).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Text

logger = logging.getLogger(__name__)

_installed = False


def install() -> bool:
    """Patch `RemoteAction._validate_action_result` once; True when it is patched."""
    global _installed
    if _installed:
        return True
    try:
        from jsonschema import ValidationError, validators
        from jsonschema.exceptions import best_match
        from rasa.core.actions.action import RemoteAction
        from rasa.shared.constants import DOCS_BASE_URL
    except ImportError:  # not inside Rasa's environment
        return False
    original = getattr(RemoteAction, "_validate_action_result", None)
    if original is None:
        logger.warning("Rasa has no RemoteAction._validate_action_result: action responses validated as Rasa does")
        return False
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of once per custom action
    validator = validator_class(schema)

    def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
        error: Optional[ValidationError] = best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    _installed = True
    return True
