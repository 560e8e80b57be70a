"""A simulated user that talks to the running bot, and a yardstick bot that understands it perfectly.

The user (EAR / CRM / UNICORN style) has a hidden target movie, knows only its genres and year, and
each turn states one attribute or one critique in its own words (`phrasings.py`). The same user
policy talks to the real bot over Rasa's REST webhook (`client.py`) and to an in-process bot with
perfect understanding (`yardstick.py`), so the ratio of their success rates measures how much of
the multi-turn understanding the real bot keeps. `report.py` turns the dialogues into numbers.
"""
