"""The library: kinds, records, loading, validation, the store and the questions it answers.

Nothing in this package prints, reads the environment or imports Typer or rich.
"""
