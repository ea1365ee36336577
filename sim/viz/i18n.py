"""English and Dutch labels of the dashboard. Every key has both languages (tested).

The KPIs' labels (`kpi.<name>`) are the registry's (sim/kpis.py), so the dashboard, the report
and the plots name a KPI alike."""

from __future__ import annotations

from sim.kpis import REGISTRY, Kpi

LANGUAGES = ("en", "nl")

LABELS: dict[str, dict[str, str]] = {
    # page and controls
    "title": {"en": "Service-profit chain: workshop", "nl": "Service-profit chain: workshop"},
    "language": {"en": "Language", "nl": "Taal"},
    "preset": {"en": "Scenario preset", "nl": "Scenario"},
    "levers": {"en": "Management levers", "nl": "Managementknoppen"},
    "levers_hint": {
        "en": "Slider changes apply from the next simulated day.",
        "nl": "Wijzigingen gelden vanaf de volgende gesimuleerde dag.",
    },
    "staffing_hint": {
        "en": "Staffing follows at the next quarterly headcount review.",
        "nl": "Bezetting volgt bij de volgende kwartaalherziening van de formatie.",
    },
    "seed": {"en": "Seed (applies on Reset)", "nl": "Seed (geldt na Reset)"},
    "days_per_step": {"en": "Days per step", "nl": "Dagen per stap"},
    "run": {"en": "Run", "nl": "Simulatie"},
    "reset": {"en": "Reset", "nl": "Opnieuw"},
    "step": {"en": "Step", "nl": "Stap"},
    "play": {"en": "Play", "nl": "Start"},
    "pause": {"en": "Pause", "nl": "Pauze"},
    "day": {"en": "Day", "nl": "Dag"},
    "days": {"en": "days", "nl": "dagen"},
    "step_time": {"en": "model time per day", "nl": "rekentijd per dag"},
    "error": {"en": "The simulation stopped", "nl": "De simulatie is gestopt"},
    "changes": {"en": "Lever changes", "nl": "Gewijzigde knoppen"},
    "no_changes": {"en": "none yet", "nl": "nog geen"},
    "baseline": {"en": "baseline (same seed)", "nl": "uitgangssituatie (zelfde seed)"},
    "vs_baseline": {"en": "baseline", "nl": "uitgangssituatie"},
    # presets
    "preset.baseline": {"en": "Baseline", "nl": "Uitgangssituatie"},
    "preset.consistent_leadership": {
        "en": "Consistent leadership",
        "nl": "Consistent leiderschap",
    },
    "preset.cost_cutting": {"en": "Cost cutting", "nl": "Kosten besparen"},
    "preset.feedback_sharing": {"en": "Feedback sharing", "nl": "Feedback delen"},
    "preset.loose_scripts": {"en": "Loose scripts", "nl": "Lossere scripts"},
    "preset.people_driven": {"en": "People-driven", "nl": "Mensgericht"},
    "preset.retention_programme": {"en": "Retention programme", "nl": "Behoudprogramma"},
    "preset.ritz_recovery": {"en": "Ritz recovery", "nl": "Herstel à la Ritz"},
    "preset.custom": {"en": "Custom", "nl": "Eigen instelling"},
    # levers
    "lever.script_strictness": {"en": "Script strictness", "nl": "Striktheid van scripts"},
    "lever.recovery_budget": {"en": "Recovery budget", "nl": "Herstelbudget"},
    "lever.recovery_authority": {"en": "Recovery authority", "nl": "Herstelbevoegdheid"},
    "lever.staffing_level": {"en": "Staffing level", "nl": "Bezettingsniveau"},
    "lever.feedback_sharing": {"en": "Feedback sharing", "nl": "Feedback delen"},
    "lever.leadership_consistency": {
        "en": "Leadership consistency",
        "nl": "Consistentie leiderschap",
    },
    "lever.training": {"en": "Training", "nl": "Training"},
    "lever.productivity_pressure": {"en": "Productivity pressure", "nl": "Productiviteitsdruk"},
    # policy values a preset may change that have no slider (shown in the lever log)
    "lever.approval_days": {"en": "Approval days", "nl": "Goedkeuringstermijn (dagen)"},
    "lever.hiring_lag_days": {"en": "Hiring lag (days)", "nl": "Wervingstijd (dagen)"},
    "lever.onboarding_days": {"en": "Onboarding (days)", "nl": "Inwerkperiode (dagen)"},
    "lever.pay_level": {"en": "Pay level", "nl": "Salarisniveau"},
    "lever.development": {"en": "Development", "nl": "Ontwikkeling"},
    "lever.internal_service": {"en": "Internal service", "nl": "Interne dienstverlening"},
    "lever.hold_standards": {"en": "Hold standards", "nl": "Normen vasthouden"},
    # KPIs: from the registry, see below
    # views
    "floor": {"en": "The floor: one desk per seat", "nl": "De werkvloer: één bureau per plek"},
    "floor_legend": {
        "en": "colour = work happiness (0-10); T = in training; N = new hire (< 90 days); "
        "empty = vacancy; square, double border = back office (no customer contact)",
        "nl": "kleur = werkgeluk (0-10); T = in opleiding; N = nieuwe medewerker (< 90 dagen); "
        "leeg = vacature; vierkant, dubbele rand = backoffice (geen klantcontact)",
    },
    "vacant": {"en": "vacant", "nl": "vacature"},
    "journey_stages": {
        "en": "Customers' rating by journey stage (30 days; outline: baseline)",
        "nl": "Oordeel van klanten per fase van de reis (30 dagen; omlijning: uitgangssituatie)",
    },
    "journey_roles": {
        "en": "Work happiness by role (30 days; outline: baseline)",
        "nl": "Werkgeluk per rol (30 dagen; omlijning: uitgangssituatie)",
    },
    "satisfaction_hist": {"en": "Customers' satisfaction", "nl": "Tevredenheid van klanten"},
    "satisfaction_axis": {"en": "satisfaction (0-10)", "nl": "tevredenheid (0-10)"},
    "share_customers": {"en": "share of customers", "nl": "aandeel klanten"},
    "drivers": {"en": "Drivers of the employee journey", "nl": "Drijfveren van medewerkers"},
    "driver.want": {"en": "want", "nl": "willen"},
    "driver.know": {"en": "know", "nl": "weten"},
    "driver.can": {"en": "can", "nl": "kunnen"},
    "driver.feel": {"en": "feel", "nl": "voelen"},
    "now": {"en": "now", "nl": "nu"},
    "plot.scores": {"en": "eNPS and NPS", "nl": "eNPS en NPS"},
    "plot.experience": {
        "en": "Work happiness and customer satisfaction",
        "nl": "Werkgeluk en klanttevredenheid",
    },
    "plot.turnover": {
        "en": "Turnover and churn (per year, last {n} days)",
        "nl": "Personeels- en klantverloop (per jaar, laatste {n} dagen)",
    },
    "plot.profit": {
        "en": "Profit (per year, last {n} days)",
        "nl": "Winst (per jaar, laatste {n} dagen)",
    },
    "lever_change": {"en": "lever change", "nl": "knop gewijzigd"},
    # journey stages and roles (configs/journey/); a name without a label shows as words
    "journey.onboarding": {"en": "onboarding", "nl": "kennismaking"},
    "journey.everyday": {"en": "everyday", "nl": "dagelijks"},
    "journey.billing": {"en": "billing", "nl": "facturatie"},
    "journey.complaint": {"en": "complaint", "nl": "klacht"},
    "journey.renewal": {"en": "renewal", "nl": "verlenging"},
    "journey.booking": {"en": "booking", "nl": "boeking"},
    "journey.arrival": {"en": "arrival", "nl": "aankomst"},
    "journey.stay": {"en": "stay", "nl": "verblijf"},
    "journey.departure": {"en": "departure", "nl": "vertrek"},
    "journey.service_agents": {"en": "service agents", "nl": "klantenservice"},
    "journey.billing_office": {"en": "billing office", "nl": "facturatieafdeling"},
    "journey.second_line": {"en": "second line", "nl": "tweede lijn"},
    "journey.it_support": {"en": "IT support", "nl": "IT-ondersteuning"},
    "journey.workforce_planning": {"en": "workforce planning", "nl": "personeelsplanning"},
    "journey.front_desk": {"en": "front desk", "nl": "receptie"},
    "journey.concierge": {"en": "concierge", "nl": "conciërge"},
    "journey.housekeeping": {"en": "housekeeping", "nl": "huishouding"},
    "journey.accounts": {"en": "accounts", "nl": "administratie"},
    "journey.scheduling": {"en": "scheduling", "nl": "roostering"},
}


def _kpi_label(kpi: Kpi, lang: str) -> str:
    """A card's heading. Money shows as "612k": only its period says it is a year's profit."""
    unit = kpi.short_unit(lang)
    return f"{kpi.title(lang)} ({unit})" if kpi.quantity == "money" and unit else kpi.title(lang)


LABELS.update(
    {f"kpi.{k.name}": {lang: _kpi_label(k, lang) for lang in LANGUAGES} for k in REGISTRY.values()}
)


def journey_name(name: str, lang: str = "en") -> str:
    """A journey stage's or role's name in `lang`; one without a label reads as words."""
    entry = LABELS.get(f"journey.{name}")
    return entry.get(lang, entry["en"]) if entry else name.replace("_", " ")


def t(key: str, lang: str = "en", **fmt: object) -> str:
    """The label `key` in `lang` (English when the language is unknown), formatted with `fmt`.

    A key without a label (say a policy value added to the schema after these labels were
    written) shows as its last part rather than breaking the page; tests require labels for
    everything the dashboard shows today."""
    entry = LABELS.get(key) or {"en": key.rsplit(".", 1)[-1]}
    text = entry.get(lang, entry["en"])
    return text.format(**fmt) if fmt else text
