"""Finding a twin's presets, and saying so when one was written by an older sim-twin.

A twin's org preset (`RUN/configs/org/NAME.yaml`, or installed into configs/) is a
`# @package _global_` file of the `org` group. Hydra reads that header only above every other
comment; an older sim-twin wrote its own `# sim-twin` line first, so Hydra loaded the file under
`org` and refused `org.org` ("is not a config key"), which says nothing of the cause. The
commands ask `stale_twin` when an `org.*` or `behaviour.*` key is refused, and it words the
cause and the cure when the organisation chosen is a twin's preset.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from sim.cli import CONFIG_DIR

MARK = "# sim-twin"  # opens a line of every preset sim-twin writes (install overwrites only these)
HEADER = "# @package _global_"


def written_by_twin(path: Path) -> bool:
    """A preset sim-twin wrote (its first lines carry MARK): one install may overwrite."""
    return any(line.startswith(MARK) for line in path.read_text().splitlines()[:3])


def config_dirs(argv: Sequence[str]) -> list[Path]:
    """The folders of `--config-dir DIR` / `--config-dir=DIR` / `-cd DIR` on a command line."""
    dirs = []
    for k, arg in enumerate(argv):
        if arg in ("--config-dir", "-cd") and k + 1 < len(argv):
            dirs.append(Path(argv[k + 1]))
        elif arg.startswith("--config-dir="):
            dirs.append(Path(arg.split("=", 1)[1]))
    return dirs


def chosen_org(argv: Sequence[str]) -> str | None:
    """The organisation preset of `org=NAME` on a Hydra command line, or of sim-viz's
    `--org NAME` / `--org=NAME` (the last one wins)."""
    names = []
    for k, arg in enumerate(argv):
        key, _, value = arg.partition("=")
        if key.lstrip("+~") == "org" or (key == "--org" and value):
            names.append(value)
        elif arg == "--org" and k + 1 < len(argv):
            names.append(argv[k + 1])
    return names[-1] if names else None


def org_preset(name: str, extra_dirs: Sequence[Path]) -> Path | None:
    """The file `org=name` loads: Hydra searches the repository's configs/ first, then each
    `--config-dir` (it places them after the main folder)."""
    for folder in (CONFIG_DIR, *extra_dirs):
        path = folder / "org" / f"{name}.yaml"
        if path.is_file():
            return path
    return None


def _data_folder(preset: Path) -> str:
    """The data folder the twin was built from, from its run's Hydra record (RUN/.hydra) when
    the preset sits in a run directory; `DIR` when it cannot be known (an installed copy)."""
    record = preset.parent.parent.parent / ".hydra" / "config.yaml"
    try:
        data = yaml.safe_load(record.read_text())["twin"]["data"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return "DIR"
    return str(data) if data else "DIR"


def stale_twin(key: str, name: str | None, extra_dirs: Sequence[Path]) -> str | None:
    """The one-line error for a refused `key` when `org=name` is a preset of an older sim-twin
    (None when it is not a twin's preset, or the key has nothing to do with the preset)."""
    if name is None or key.split(".")[0] not in ("org", "behaviour"):
        return None
    path = org_preset(name, extra_dirs)
    if path is None:
        return None
    if not written_by_twin(path):
        return None
    lines = path.read_text().splitlines()
    if lines and lines[0].strip() != HEADER:
        why = f"its first line is not '{HEADER}', so Hydra reads its keys as {key}"
    else:
        why = f"{key} is no longer a config key"
    return (
        f"{path} was written by an older sim-twin ({why}): rebuild the twin with "
        f"sim-twin data={_data_folder(path)} name={path.stem}"
    )
