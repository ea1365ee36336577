"""English and Dutch labels of the workshop pages, added to the dashboard's (`sim.viz.i18n.t`).

Keys start with `ws.`; every key has both languages (tested). Levers, KPIs and presets keep the
dashboard's labels, so both pages name a thing alike.
"""

from __future__ import annotations

from sim.viz.i18n import LABELS

WORKSHOP_LABELS: dict[str, dict[str, str]] = {
    # refusals (WorkshopError)
    "ws.err.code": {"en": "Wrong room code.", "nl": "Verkeerde kamercode."},
    "ws.err.key": {"en": "Wrong facilitator key.", "nl": "Verkeerde begeleiderssleutel."},
    "ws.err.taken": {
        "en": "This team name is taken. Pick another, or open your team's own link.",
        "nl": "Deze teamnaam is bezet. Kies een andere, of open de eigen link van je team.",
    },
    "ws.err.name": {
        "en": "Give your team a name of 1 to {n} characters.",
        "nl": "Geef uw team een naam van 1 tot {n} tekens.",
    },
    "ws.err.full": {
        "en": "The room is full ({n} teams).",
        "nl": "De kamer is vol ({n} teams).",
    },
    "ws.err.closed": {
        "en": "Decisions are closed: wait for the facilitator to open the round.",
        "nl": "Beslissingen zijn gesloten: wacht tot de begeleider de ronde opent.",
    },
    "ws.err.lever_closed": {
        "en": "This lever is not open in this session.",
        "nl": "Deze knop is in deze sessie niet open.",
    },
    "ws.err.budget": {
        "en": "Over budget: this plan costs {cost} a year, the budget is {budget}.",
        "nl": "Boven budget: dit plan kost {cost} per jaar, het budget is {budget}.",
    },
    "ws.err.predict_key": {
        "en": "This session does not ask for that prediction.",
        "nl": "Deze sessie vraagt niet om die voorspelling.",
    },
    "ws.err.number": {"en": "Enter a number.", "nl": "Vul een getal in."},
    "ws.err.round_length": {
        "en": "Round length: one of {allowed}.",
        "nl": "Rondelengte: een van {allowed}.",
    },
    "ws.err.weight": {
        "en": "A weight from 0 to {n}.",
        "nl": "Een gewicht van 0 tot {n}.",
    },
    "ws.err.event": {"en": "Event: one of {allowed}.", "nl": "Gebeurtenis: een van {allowed}."},
    "ws.err.not_running": {
        "en": "Start the session first (or it has finished).",
        "nl": "Start eerst de sessie (of ze is afgelopen).",
    },
    # joining
    "ws.title": {"en": "Service-profit chain: workshop", "nl": "Service-profit chain: workshop"},
    "ws.join": {"en": "Join the session", "nl": "Doe mee"},
    "ws.room_code": {"en": "Room code", "nl": "Kamercode"},
    "ws.team_name": {"en": "Team name", "nl": "Teamnaam"},
    "ws.facilitator_key": {"en": "Facilitator key", "nl": "Begeleiderssleutel"},
    "ws.enter": {"en": "Enter", "nl": "Naar binnen"},
    # state
    "ws.state.lobby": {
        "en": "waiting for the facilitator to start",
        "nl": "wachten tot de begeleider start",
    },
    "ws.state.open": {"en": "decide and predict", "nl": "beslis en voorspel"},
    "ws.state.paused": {"en": "paused", "nl": "gepauzeerd"},
    "ws.state.advancing": {"en": "the round is running…", "nl": "de ronde loopt…"},
    "ws.state.finished": {"en": "the session has ended", "nl": "de sessie is afgelopen"},
    "ws.round": {"en": "Round", "nl": "Ronde"},
    "ws.of": {"en": "of", "nl": "van"},
    "ws.question": {"en": "This round's question", "nl": "De vraag van deze ronde"},
    "ws.decisions": {"en": "Your decisions", "nl": "Uw beslissingen"},
    "ws.decisions_hint": {
        "en": "Decisions act from the first day of the round; the facilitator plays it for all.",
        "nl": "Beslissingen gelden vanaf de eerste dag van de ronde; de begeleider speelt haar "
        "voor iedereen.",
    },
    "ws.budget": {"en": "Budget per year", "nl": "Budget per jaar"},
    "ws.plan_cost": {"en": "Your plan costs per year", "nl": "Uw plan kost per jaar"},
    "ws.prediction": {
        "en": "Your prediction for this round",
        "nl": "Uw voorspelling voor deze ronde",
    },
    "ws.predicted": {"en": "predicted", "nl": "voorspeld"},
    "ws.outcome": {"en": "outcome", "nl": "uitkomst"},
    "ws.error": {"en": "error", "nl": "fout"},
    "ws.save": {"en": "Save", "nl": "Opslaan"},
    "ws.saved": {"en": "saved", "nl": "opgeslagen"},
    "ws.predictions": {"en": "Predictions and outcomes", "nl": "Voorspellingen en uitkomsten"},
    "ws.your_unit": {"en": "Your unit", "nl": "Uw afdeling"},
    "ws.events": {"en": "Events", "nl": "Gebeurtenissen"},
    "ws.coming": {"en": "coming this round", "nl": "deze ronde"},
    "ws.event.demand_surge": {"en": "Demand surge", "nl": "Piek in de vraag"},
    "ws.event.budget_cut": {"en": "Budget cut", "nl": "Budgetkorting"},
    "ws.event.wage_rise": {"en": "Market wage rise", "nl": "Stijging van het marktloon"},
    "ws.event.competitor": {
        "en": "Competitor raises expectations",
        "nl": "Concurrent verhoogt verwachtingen",
    },
    "ws.event_doc.demand_surge": {
        "en": "customers bring 25% more needs for one round",
        "nl": "klanten hebben één ronde 25% meer vragen",
    },
    "ws.event_doc.budget_cut": {
        "en": "every team's yearly budget falls by 15%, at once",
        "nl": "het jaarbudget van elk team daalt direct met 15%",
    },
    "ws.event_doc.wage_rise": {
        "en": "the market wage rises 8%: the same pay is worth less to staff",
        "nl": "het marktloon stijgt 8%: hetzelfde loon is minder waard voor medewerkers",
    },
    "ws.event_doc.competitor": {
        "en": "customers expect half a point more (0-10) from now on",
        "nl": "klanten verwachten vanaf nu een halve punt meer (0-10)",
    },
    # facilitator
    "ws.facilitator": {"en": "Facilitator", "nl": "Begeleider"},
    "ws.start": {"en": "Start", "nl": "Start"},
    "ws.pause": {"en": "Pause", "nl": "Pauze"},
    "ws.advance": {"en": "Play the round for all teams", "nl": "Speel de ronde voor alle teams"},
    "ws.round_length": {"en": "Round length", "nl": "Rondelengte"},
    "ws.length.month": {"en": "month", "nl": "maand"},
    "ws.length.quarter": {"en": "quarter", "nl": "kwartaal"},
    "ws.length.year": {"en": "year", "nl": "jaar"},
    "ws.open_levers": {"en": "Levers open to teams", "nl": "Knoppen open voor teams"},
    "ws.inject": {
        "en": "Inject an event into every unit",
        "nl": "Gebeurtenis voor alle afdelingen",
    },
    "ws.teams": {"en": "Teams", "nl": "Teams"},
    "ws.no_teams": {"en": "No team has joined yet.", "nl": "Er is nog geen team."},
    "ws.leaderboard": {"en": "Leaderboard", "nl": "Scorebord"},
    "ws.weights": {"en": "Scorecard weights", "nl": "Gewichten van de scorekaart"},
    "ws.score": {"en": "Score", "nl": "Score"},
    "ws.rank": {"en": "#", "nl": "#"},
    "ws.team": {"en": "Team", "nl": "Team"},
    "ws.reference": {"en": "(no decisions)", "nl": "(geen beslissingen)"},
    "ws.left": {"en": "(left)", "nl": "(vertrokken)"},
    "ws.team_link": {
        "en": "Your team's link (keep it to come back to this team):",
        "nl": "De link van je team (bewaar hem om bij dit team terug te komen):",
    },
    "ws.last_days": {
        "en": "KPIs over the last {n} days; score 0-100 = weighted place between the room's "
        "worst and best",
        "nl": "KPI's over de laatste {n} dagen; score 0-100 = gewogen plaats tussen slechtste en "
        "beste van de zaal",
    },
    "ws.advance_time": {
        "en": "last round took {s} s ({ready} of {n} units were ready at the click)",
        "nl": "laatste ronde duurde {s} s ({ready} van {n} eenheden waren klaar bij de klik)",
    },
    # debrief
    "ws.debrief": {"en": "Debrief", "nl": "Nabespreking"},
    "ws.notes": {"en": "Notes for the trainer", "nl": "Aantekeningen voor de trainer"},
    "ws.chain": {
        "en": "The chain over time (dotted: decisions; red: events; grey: no decisions)",
        "nl": "De keten in de tijd (gestippeld: beslissingen; rood: gebeurtenissen; grijs: geen "
        "beslissingen)",
    },
    "ws.accounts": {
        "en": "Profit against the unit without decisions, by account",
        "nl": "Winst ten opzichte van de afdeling zonder beslissingen, per rekening",
    },
    "ws.accounts_hint": {
        "en": "An accounting split of the difference, not a causal one: revenue follows the "
        "customers kept and won; hiring and training follow turnover.",
        "nl": "Een boekhoudkundige verdeling van het verschil, geen oorzakelijke: omzet volgt de "
        "behouden en gewonnen klanten; werving en opleiding volgen het verloop.",
    },
    "ws.account.margin": {"en": "Revenue less cost of sales", "nl": "Omzet min kostprijs"},
    "ws.account.wages": {"en": "Wages and overtime", "nl": "Lonen en overwerk"},
    "ws.account.hiring": {"en": "Hiring and training", "nl": "Werving en opleiding"},
    "ws.account.programmes": {"en": "People programmes", "nl": "Mensprogramma's"},
    "ws.account.marketing": {"en": "Acquisition", "nl": "Klantwerving"},
    "ws.account.recovery": {"en": "Recovery", "nl": "Herstel"},
    "ws.compare": {"en": "All teams", "nl": "Alle teams"},
    "ws.export": {"en": "Write the debrief", "nl": "Schrijf de nabespreking"},
    "ws.download_html": {"en": "Debrief (HTML)", "nl": "Nabespreking (HTML)"},
    "ws.download_parquet": {"en": "Session data (Parquet)", "nl": "Sessiegegevens (Parquet)"},
    "ws.written": {"en": "Written to {path}", "nl": "Geschreven naar {path}"},
    "ws.decision_log": {"en": "Decisions", "nl": "Beslissingen"},
    "ws.pick_team": {"en": "Team", "nl": "Team"},
}

LABELS.update(WORKSHOP_LABELS)
