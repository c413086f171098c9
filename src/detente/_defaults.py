"""Names and defaults every command shares, in a module light enough for the command
line's parser (importing a model package would import numpy and the kernels)."""

#: the elasticity set and horizon every command uses unless told otherwise
DEFAULT_SET = "default"
DEFAULT_HORIZON = "1y"
#: the deficit closures (docs/model.md, section 4), defined once
CLOSURES = ("fixed-deficits", "fixed-ratios", "balanced")
#: the pair a command centres on when none is given: the documented default of every
#: ``--pair``/``--players`` option and of the functions that take a ``pair`` (detente's
#: flagship question is the US-China war; any two countries of the world may be given)
DEFAULT_PAIR = ("USA", "CHN")
#: the importer whose partners the multilateral charts and tables show by default (the
#: first country of DEFAULT_PAIR; the world-2025 data are the US tariff actions of 2025-2026)
DEFAULT_IMPORTER = DEFAULT_PAIR[0]
