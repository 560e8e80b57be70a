"""Preference models behind one interface (`PreferenceModel`): fit, score, recommend, save, load."""
