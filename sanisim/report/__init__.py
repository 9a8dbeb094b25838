"""The policy report: one self-contained HTML file, its figures (PNG, SVG) and tables (CSV).

``sanisim report RESULTS_DIR [--out DIR] [--lang en|id] [--decisions DIR] [--optimise DIR]``
reads a results store (and, when given, decision outputs) and writes::

    OUT/report.html          (laporan.html with --lang id) figures embedded, CSS inline,
                             no script, no external resource; opens offline
    OUT/figures_<lang>/*.png, *.svg
    OUT/tables/*.csv         the analysis tables in raw units (shares 0-1, rupiah, months)

A batch over several districts (scenarios) gets a comparison part and one section per
district; a parameter sweep gets outcomes against each swept parameter. The first screen of a
district answers three questions in plain language, one paragraph each: which
strategy ends open defecation first (or comes closest), what it costs per additional household
and who pays, and who is left behind (poorest fifth, women decision makers). ``docs/report.md``
explains every figure and table.

The package, one job per module:

- :mod:`~sanisim.report.names`: the districts (scenarios) of a batch and the display names
  their scenario files give each arm;
- :mod:`~sanisim.report.tables`: the analysis tables (raw, for CSV) and their readable form;
- :mod:`~sanisim.report.spreadsheets`: the tables as CSV files (raw; and for spreadsheets in
  the Indonesian locale);
- :mod:`~sanisim.report.findings`: the numbers and sentences of the three findings;
- :mod:`~sanisim.report.figures`: the report's figures (drawn by :mod:`~sanisim.report.plots`,
  the house-style figure library, also used by notebooks and the dashboard);
- :mod:`~sanisim.report.prose`: the words, from ``lang/en.toml`` and ``lang/id.toml``;
- :mod:`~sanisim.report.comparison`: several districts side by side;
- :mod:`~sanisim.report.sweeps`: a parameter sweep (outcomes against each swept parameter);
- :mod:`~sanisim.report.decision_outputs`: the output folders of ``sanisim decide`` and
  ``sanisim optimise``, read and checked;
- :mod:`~sanisim.report.funding`: the "what to fund" section of a district, from them;
- :mod:`~sanisim.report.sections`: the parts of the page and their figure files;
- :mod:`~sanisim.report.page`: the page (``templates/*.html.j2``, ``templates/style.css``,
  rendered by Jinja2 with autoescaping) and writing it all to a folder;
- :mod:`~sanisim.report.command`: the ``sanisim report`` verb.
"""

from sanisim.report.command import cmd_report, register
from sanisim.report.figures import (
    FIGURE_ORDER,
    INTERVAL_FIGURES,
    NETWORK_HOUSEHOLDS,
    figure_png,
    make_figures,
    network_figure,
)
from sanisim.report.findings import diff_phrase, findings, leading_arm
from sanisim.report.page import HTML_NAME, load, render_html, report, write_report
from sanisim.report.tables import (
    BASELINE,
    Tables,
    compute_tables,
    html_tables,
    labelled,
    rupiah_range,
)

__all__ = ["BASELINE", "FIGURE_ORDER", "HTML_NAME", "INTERVAL_FIGURES", "NETWORK_HOUSEHOLDS",
           "Tables", "cmd_report", "compute_tables", "diff_phrase", "figure_png", "findings",
           "html_tables", "labelled", "leading_arm", "load", "make_figures", "network_figure",
           "register", "render_html", "report", "rupiah_range", "write_report"]
