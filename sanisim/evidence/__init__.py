"""What the published evidence says about the model: virtual trials (``trial``), calibration
to one trial (``calibration``), joint calibration to several settings (``joint``), sensitivity
analysis (``sensitivity``), and what a fit is given (``targets``). See docs/architecture.md."""
