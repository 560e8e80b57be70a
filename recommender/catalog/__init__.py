"""Catalog import: MovieLens 100K, built-in presets and any CSV / JSON Lines file with a column mapping.

Import from the submodules (`importer`, `mapping`, `movielens`, `presets`); nothing loads here.
"""
