"""What the loader writes and the benchmark asks for, in one place.

Names look like "Client 0000123 Cedar Trading": every row matches the broad terms (`Client`),
each word of WORDS matches about 1 row in len(WORDS), and RARE_WORD matches 1 row in RARE_EVERY,
so `search` has both selective and broad terms.
"""

DEFAULT_TENANT = "bench"
RESULTS_DIR = "bench/results"
KEY_FILE = f"{RESULTS_DIR}/key.txt"  # the key of the tenant loaded last


def key_file_of(namespace: str) -> str:
    return f"{RESULTS_DIR}/key-{namespace}.txt"


RARE_WORD = "Zephyrine"
RARE_EVERY = 1000
SELECTIVE_TERM = RARE_WORD.lower()
BROAD_TERM = "trading"

WORDS = [
    "Cedar",
    "Olive",
    "Falcon",
    "Delta",
    "Summit",
    "Harbor",
    "Crescent",
    "Oasis",
    "Golden",
    "Silver",
    "Royal",
    "Prime",
    "Unity",
    "Horizon",
    "Atlas",
    "Nova",
    "Pearl",
    "Coral",
    "Amber",
    "Jasmine",
    "Lotus",
    "Palm",
    "Desert",
    "Nile",
    "Orchid",
    "Phoenix",
    "Star",
    "Sun",
    "Moon",
    "River",
    "Valley",
    "Green",
    "Blue",
    "Red",
    "Swift",
    "Bright",
    "Noble",
    "Grand",
    "Modern",
    "Classic",
    "Fresh",
    "Urban",
    "Metro",
    "Pioneer",
    "Vertex",
    "Zenith",
    "Alpha",
    "Omega",
    "Beacon",
    "Crown",
]
SUFFIXES = (
    "Trading",
    "Stores",
    "Market",
    "Pharmacy",
    "Supplies",
    "Foods",
    "Hypermarket",
    "Distribution",
    "Mini Market",
    "Group",
)
CITIES = (
    ("Riyadh", "Riyadh", "SA"),
    ("Jeddah", "Makkah", "SA"),
    ("Dammam", "Eastern", "SA"),
    ("Mecca", "Makkah", "SA"),
    ("Medina", "Madinah", "SA"),
    ("Dubai", "Dubai", "AE"),
    ("Abu Dhabi", "Abu Dhabi", "AE"),
    ("Sharjah", "Sharjah", "AE"),
    ("Doha", "Doha", "QA"),
    ("Kuwait City", "Al Asimah", "KW"),
    ("Manama", "Capital", "BH"),
    ("Muscat", "Muscat", "OM"),
    ("Amman", "Amman", "JO"),
    ("Cairo", "Cairo", "EG"),
    ("Alexandria", "Alexandria", "EG"),
    ("Casablanca", "Casablanca-Settat", "MA"),
    ("Beirut", "Beirut", "LB"),
    ("Baghdad", "Baghdad", "IQ"),
    ("Erbil", "Erbil", "IQ"),
    ("Tunis", "Tunis", "TN"),
)
