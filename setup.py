"""Build step: the shipped scenarios and experiments go into the package.

The TOML files live where people edit them, in the repository's ``scenarios/`` and
``experiments/`` folders (MANIFEST.in puts them in the sdist). A wheel copies them into
``sanisim/shipped/`` so that an installed sanisim finds them (``sanisim.scenario.shipped_folder``);
an editable install reads the repository's folders and copies nothing. The project's metadata
is in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("scenarios", "experiments")


class BuildWithShippedInputs(build_py):
    """``build_py`` plus ``scenarios/**/*.toml`` and ``experiments/**/*.toml``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for folder in SHIPPED:
            for source in sorted((ROOT / folder).rglob("*.toml")):
                target = Path(self.build_lib, "sanisim", "shipped", source.relative_to(ROOT))
                self.mkpath(str(target.parent))
                self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildWithShippedInputs})
