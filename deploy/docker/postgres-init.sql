-- Rasa's tracker store gets a database of its own beside the recommender's (deploy/compose.yaml).
CREATE DATABASE rasa OWNER recsys;
