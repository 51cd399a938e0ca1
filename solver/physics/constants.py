"""Physical constants shared by the constitutive and the interface laws (SI units)."""

#: Faraday constant, C/mol (CODATA 2018, exact).
FARADAY = 96485.33212
#: Molar gas constant, J/(mol K) (CODATA 2018, exact).
GAS_CONSTANT = 8.314462618
