"""Workshop mode (`sim-workshop`): teams run their own unit, a facilitator leads the rounds.

`storyline.py` reads the ready sessions in configs/workshop/; `room.py` holds the room (teams,
rounds, budgets, predictions, events, the leaderboard) with no Solara in it; `debrief.py` turns a
room into figures, tables and the export; `pages.py` lays them out; `app.py` is the Solara
module `sim-workshop` (`serve.py`) runs. docs/WORKSHOP.md is the trainer's guide.
"""
