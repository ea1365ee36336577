"""The workshop dashboard: a Solara page over one ServiceModel per browser session.

Modules, from the data outward:

- `levers`: the scenario presets (composed with Hydra from configs/, like the CLI) and the
  slider specification of each management lever (ranges from `sim.config` metadata).
- `session`: one participant's model, the baseline "ghost" run with the same seed, stepping and
  live lever changes. No Solara here, so it is tested without a browser.
- `data`: what each view shows, as plain numbers (KPIs via `sim.outputs.summarise`).
- `figures`: matplotlib figures and the HTML of the floor of desks, built from `data`.
- `i18n`: English and Dutch labels.
- `components`: the Solara components; `sim/app.py` assembles them into `Page`.
- `serve`: the `sim-viz` command.
"""
