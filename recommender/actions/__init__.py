"""Rasa custom actions: thin adapters from the conversation to `recommender.service`.

One module per capability (recommend, refine, explain, feedback, saved, forget); the shared
helpers start with an underscore. Importing this package is cheap: the recommender service
(and with it torch, transformers and the database) is only loaded on the first action call.
"""
