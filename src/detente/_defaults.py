"""Names and defaults every command shares, in a module light enough for the command
line's parser (importing a model package would import numpy and the kernels)."""

#: the elasticity set and horizon every command uses unless told otherwise
DEFAULT_SET = "default"
DEFAULT_HORIZON = "1y"
#: the deficit closures (docs/model.md, section 4), defined once
CLOSURES = ("fixed-deficits", "fixed-ratios", "balanced")
