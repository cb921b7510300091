"""Evaluations: measured accuracy of microscout, written into docs/accuracy.md by ``make eval``.

Each capability contributes one section (a function returning markdown). Evaluations run on real
labelled data when ``MICROSCOUT_EVAL_DATA`` holds it and on sample worlds of two different seeds
and difficulties, so nothing is tuned to one world. Only this package reads planted truths.
"""
