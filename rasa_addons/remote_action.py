"""How Rasa calls the action server, made fast and safe (installed when `rasa_addons` is imported).

**The response schema checked once.** Rasa 3.6's `RemoteAction._validate_action_result` calls
`jsonschema.validate(result, schema)`, which first validates the *schema* against JSON Schema's
meta-schema and only then the response. The schema is a constant of Rasa, so that first step gives
the same answer every time; with Rasa's large events schema it took 35% of the Rasa server's CPU in
a load test (py-spy, 2026-12-06; docs/load.md). Here the validator is built once: the same schema,
validator class and `best_match` error with Rasa's message appended.

**An answer when the action server is down, failing or hung.** Rasa catches the failed call, logs
"Bot will continue, but the actions events are lost" and sends the person nothing at all; and it
waits up to 300 s for an action. Here a call that fails to connect, answers an HTTP error or a
response that is not an action response, or takes longer than RECSYS_ACTION_CALL_TIMEOUT_S (default 30; a turn normally takes well under 2 s) is
answered with the domain's `utter_something_went_wrong` ("please try again in a moment"). The
conversation's slots (its dialogue state) are untouched, so once the action server is back the next
turn continues where the person was. An action the server *rejects* (HTTP 400, a form's
validation) still goes to Rasa as before.

Idempotent; a Rasa without these methods is left alone (and says so in the log).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Dict, List, Optional, Text

logger = logging.getLogger(__name__)

FALLBACK_RESPONSE = "utter_something_went_wrong"
DEFAULT_CALL_TIMEOUT_S = 30.0

_installed = False


def call_timeout_s() -> float:
    """RECSYS_ACTION_CALL_TIMEOUT_S: how long Rasa waits for one action (default 30 s)."""
    raw = (os.environ.get("RECSYS_ACTION_CALL_TIMEOUT_S") or "").strip()
    try:
        value = float(raw) if raw else DEFAULT_CALL_TIMEOUT_S
    except ValueError:
        raise ValueError(f"RECSYS_ACTION_CALL_TIMEOUT_S={raw!r}: expected a number of seconds") from None
    if not value > 0:
        raise ValueError(f"RECSYS_ACTION_CALL_TIMEOUT_S={raw!r}: must be more than 0")
    return value


def install() -> bool:
    """Patch `RemoteAction` once; True when it is patched."""
    global _installed
    if _installed:
        return True
    try:
        from jsonschema import ValidationError, validators
        from jsonschema.exceptions import best_match
        from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
        from rasa.shared.constants import DOCS_BASE_URL
        from rasa.shared.exceptions import RasaException
    except ImportError:  # not inside Rasa's environment
        return False
    stock_run = getattr(RemoteAction, "run", None)
    if getattr(RemoteAction, "_validate_action_result", None) is None or stock_run is None:
        logger.warning("Rasa's RemoteAction is not the one rasa_addons knows: actions are called as Rasa does")
        return False
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of once per custom action
    validator = validator_class(schema)
    timeout = call_timeout_s()

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

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        try:
            return await asyncio.wait_for(stock_run(self, output_channel, nlg, tracker, domain), timeout)
        except ActionExecutionRejection:
            raise
        except (RasaException, ValidationError, asyncio.TimeoutError) as error:
            what = f"took over {timeout:g} s" if isinstance(error, asyncio.TimeoutError) else str(error)
            logger.error("custom action %s failed (%s): answering with %s", self.name(), what, FALLBACK_RESPONSE)
            message = await nlg.generate(FALLBACK_RESPONSE, tracker, output_channel.name(),
                                         domain_responses=domain.responses)
            if message is None:
                raise
            message["utter_action"] = FALLBACK_RESPONSE
            return [create_bot_utterance(message)]

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    RemoteAction.run = run  # type: ignore[assignment]
    _installed = True
    return True
