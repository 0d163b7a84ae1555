"""What each operation costs, in credits — the one place the docs page's price table lives."""

QUICK_SCAN = 10
STANDARD_VALIDATION = 25
COMPREHENSIVE_VALIDATION = 50
WARRANTY_REQUEST = 100

VALIDATION_COSTS = {
    "quick": QUICK_SCAN,
    "standard": STANDARD_VALIDATION,
    "comprehensive": COMPREHENSIVE_VALIDATION,
}
