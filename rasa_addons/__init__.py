"""Rasa 3.6 components loaded by the Rasa server (.venv-rasa, Python 3.10), not by the action server.

Also a distribution of its own, `rasa-recommender-rasa-addons` (rasa_addons/pyproject.toml), for a
bot's Rasa environment (docs/adopt.md). It imports nothing of `recommender`.

- `tokenizer.TruncatingWhitespaceTokenizer`: bounds the token count so a 100 kB message cannot
  exhaust memory in DIET's attention.
- `blank_message.BlankMessageFallback`: a blank message is `nlu_fallback` (DIET read it as `affirm`).
- `rest_channel.RecommenderRestInput`: the REST channel with namespaced senders, a fixed input
  channel, an origin check and, when configured, a bearer token (docs/security.md).
- `socketio_channel.RecommenderSocketIOInput`: Rasa's socket.io channel with server-issued signed
  session ids, an origin allow-list, and the missing `await` of RasaHQ/rasa#13027.
- `telegram_channel.RecommenderTelegramInput`: Rasa's Telegram channel with the webhook's secret
  token checked, callback queries answered, inline keyboards in short rows with `callback_data`
  of at most 64 bytes (`telegram_callback.CallbackCodec`), a configurable Bot API URL, and no
  `asyncio.run` in `get_output_channel` (RasaHQ/rasa#13040).
- `tracker_store.ForgetfulSQLTrackerStore` / `ForgetfulInMemoryTrackerStore`: "forget me" also
  deletes the conversation's earlier events in Rasa's tracker store.
- `security`: the environment variables and signing helpers the channels share.
- `remote_action`: how Rasa calls the action server: the response schema checked once (Rasa re-checked
  a constant schema on every call, a third of its CPU per turn), and `utter_something_went_wrong`
  when the action server is down, failing or slower than RECSYS_ACTION_CALL_TIMEOUT_S (Rasa sent
  nothing). Installed when this package is imported.
- `fast_load`: DIET and TED build their weights with one eager step at load instead of a traced
  one (this bot's model loaded in 96 s, now 10 s; the same predictions). Installed when this
  package is imported.
- `limits`: what every channel lets through to NLU: RECSYS_MAX_MESSAGE_CHARS characters, no control
  characters, no typed `/EXTERNAL_` intents, and 413 for a body over `max_body_bytes()`.
"""

from rasa_addons.fast_load import install as _install_fast_load
from rasa_addons.remote_action import install as _install_remote_action

_install_remote_action()  # a no-op outside Rasa's environment
_install_fast_load()  # likewise
