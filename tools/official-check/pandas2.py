# Emulates pandas 2.x's default missing values ("None" was added in 2.0) on the Debian pandas 1.5.
import pandas._libs.parsers as _p
_p.STR_NA_VALUES.add("None")
