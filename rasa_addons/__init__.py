"""Small Rasa 3.6 components loaded by the Rasa server (.venv-rasa, Python 3.10), not by the action server.

- `tokenizer.TruncatingWhitespaceTokenizer`: bounds the token count so a 100 kB message cannot
  exhaust memory in DIET's attention.
- `blank_message.BlankMessageFallback`: a blank message is `nlu_fallback` (DIET read it as `affirm`).
- `socketio_channel.RecommenderSocketIOInput`: Rasa's socket.io channel with the missing `await`
  of RasaHQ/rasa#13027, without which the web widget receives no replies.
"""
