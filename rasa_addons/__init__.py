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
- `action_validation`: Rasa validates every action server response against a constant JSON schema
  and re-checks that schema each time (a third of its CPU per turn); installed when this package is
  imported, it checks the schema once. Same schema, same errors.
- `limits`: what every channel lets through to NLU: RECSYS_MAX_MESSAGE_CHARS characters, no control
  characters, no typed `/EXTERNAL_` intents, and 413 for a body over `max_body_bytes()`.
"""

from rasa_addons.action_validation import install as _install_action_validation

_install_action_validation()  # a no-op outside Rasa's environment
