"""Static reference data: cities, names, departments, categories and reason codes.

Everything here is small, hand-written and shared by the other modules. Nothing in
this module draws random numbers.
"""

from __future__ import annotations

__all__ = [
    "CITIES",
    "DEPARTMENTS",
    "EMAIL_DOMAINS",
    "FEMALE_FIRST_NAMES",
    "MALE_FIRST_NAMES",
    "LAST_NAMES",
    "TAIL_LAST_NAMES",
    "MOBILE_PREFIXES",
    "RETURN_REASONS",
    "CALL_REASONS",
    "BRAND_SYLLABLES",
    "CATEGORY_QUALIFIERS",
    "JUNK_PHONE",
    "JUNK_EMAIL",
    "ascii_fold",
]

#: Phone number typed by cashiers when the customer refuses to give one.
JUNK_PHONE = "000000000"
#: Shop e-mail typed on cards when the customer refuses to give one.
JUNK_EMAIL = "noemail@store.pl"

#: (city, population in thousands, size band, two-digit landline area code)
CITIES: list[tuple[str, int, str, int]] = [
    ("Warszawa", 1860, "big", 22),
    ("Kraków", 800, "big", 12),
    ("Wrocław", 670, "big", 71),
    ("Łódź", 660, "big", 42),
    ("Poznań", 540, "big", 61),
    ("Gdańsk", 486, "medium", 58),
    ("Szczecin", 390, "medium", 91),
    ("Bydgoszcz", 330, "medium", 52),
    ("Lublin", 330, "medium", 81),
    ("Białystok", 290, "medium", 85),
    ("Katowice", 285, "medium", 32),
    ("Gdynia", 245, "medium", 58),
    ("Częstochowa", 205, "medium", 34),
    ("Radom", 200, "medium", 48),
    ("Rzeszów", 197, "medium", 17),
    ("Toruń", 195, "medium", 56),
    ("Sosnowiec", 190, "medium", 32),
    ("Kielce", 180, "medium", 41),
    ("Gliwice", 170, "medium", 32),
    ("Olsztyn", 170, "medium", 89),
    ("Bielsko-Biała", 165, "medium", 33),
    ("Bytom", 160, "medium", 32),
    ("Zabrze", 155, "medium", 32),
    ("Zielona Góra", 140, "small", 68),
    ("Rybnik", 135, "small", 32),
    ("Ruda Śląska", 135, "small", 32),
    ("Opole", 127, "small", 77),
    ("Tychy", 126, "small", 32),
    ("Gorzów Wielkopolski", 120, "small", 95),
    ("Elbląg", 115, "small", 55),
    ("Płock", 115, "small", 24),
    ("Dąbrowa Górnicza", 115, "small", 32),
    ("Wałbrzych", 110, "small", 74),
    ("Włocławek", 105, "small", 54),
    ("Tarnów", 105, "small", 14),
    ("Chorzów", 105, "small", 32),
    ("Koszalin", 105, "small", 94),
    ("Kalisz", 98, "small", 62),
    ("Legnica", 97, "small", 76),
    ("Grudziądz", 92, "small", 56),
    ("Jaworzno", 89, "small", 32),
    ("Słupsk", 88, "small", 59),
    ("Jastrzębie-Zdrój", 86, "small", 32),
    ("Nowy Sącz", 83, "small", 18),
    ("Siedlce", 78, "small", 25),
    ("Jelenia Góra", 77, "small", 75),
    ("Konin", 72, "small", 63),
    ("Piła", 72, "small", 67),
    ("Piotrków Trybunalski", 71, "small", 44),
    ("Inowrocław", 70, "small", 52),
    ("Suwałki", 69, "small", 87),
    ("Gniezno", 67, "small", 61),
    ("Zamość", 62, "small", 84),
]

FEMALE_FIRST_NAMES: list[str] = [
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa",
    "Krystyna", "Magdalena", "Elżbieta", "Joanna", "Aleksandra", "Monika", "Zofia",
    "Natalia", "Julia", "Karolina", "Marta", "Beata", "Dorota", "Alicja", "Paulina",
    "Justyna", "Weronika", "Zuzanna", "Hanna", "Iwona", "Renata", "Agata", "Emilia",
]
MALE_FIRST_NAMES: list[str] = [
    "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Jan", "Michał", "Marcin",
    "Stanisław", "Jakub", "Adam", "Marek", "Łukasz", "Grzegorz", "Mateusz", "Wojciech",
    "Mariusz", "Dariusz", "Zbigniew", "Jerzy", "Kamil", "Maciej", "Szymon", "Antoni",
    "Bartosz", "Rafał", "Robert", "Kacper", "Filip", "Dawid",
]
#: (female form, male form)
LAST_NAMES: list[tuple[str, str]] = [
    ("Nowak", "Nowak"), ("Kowalska", "Kowalski"), ("Wiśniewska", "Wiśniewski"),
    ("Wójcik", "Wójcik"), ("Kowalczyk", "Kowalczyk"), ("Kamińska", "Kamiński"),
    ("Lewandowska", "Lewandowski"), ("Zielińska", "Zieliński"), ("Szymańska", "Szymański"),
    ("Woźniak", "Woźniak"), ("Dąbrowska", "Dąbrowski"), ("Kozłowska", "Kozłowski"),
    ("Jankowska", "Jankowski"), ("Mazur", "Mazur"), ("Kwiatkowska", "Kwiatkowski"),
    ("Wojciechowska", "Wojciechowski"), ("Krawczyk", "Krawczyk"), ("Kaczmarek", "Kaczmarek"),
    ("Piotrowska", "Piotrowski"), ("Grabowska", "Grabowski"), ("Zając", "Zając"),
    ("Pawłowska", "Pawłowski"), ("Michalska", "Michalski"), ("Król", "Król"),
    ("Wieczorek", "Wieczorek"), ("Jabłońska", "Jabłoński"), ("Wróbel", "Wróbel"),
    ("Nowakowska", "Nowakowski"), ("Majewska", "Majewski"), ("Olszewska", "Olszewski"),
    ("Stępień", "Stępień"), ("Malinowska", "Malinowski"), ("Jaworska", "Jaworski"),
    ("Adamczyk", "Adamczyk"), ("Dudek", "Dudek"), ("Nowicka", "Nowicki"),
    ("Pawlak", "Pawlak"), ("Górska", "Górski"), ("Witkowska", "Witkowski"),
    ("Walczak", "Walczak"),
]

#: The long tail of surnames: the 40 above are the most common, but a country has tens of
#: thousands, and a name that half the city shares would make name matching meaningless. Tail
#: names are built from a stem and an ending, in their female and male forms.
_TAIL_STEMS = [
    "Bar", "Bor", "Brzez", "Byst", "Chmiel", "Cich", "Czarn", "Dziedz", "Gaw", "Gol", "Gór", "Jar",
    "Jez", "Kacz", "Kal", "Kied", "Klim", "Kos", "Krup", "Kub", "Las", "Lip", "Maciej", "Mrocz",
    "Niedz", "Ocz", "Pacz", "Pias", "Rad", "Rog", "Rud", "Sad", "Siek", "Sob", "Stań", "Such",
    "Szczep", "Tarn", "Urb", "Wal", "Wiel", "Wierzb", "Zaj", "Zar", "Zdun", "Żak", "Żeg", "Bial",
]
_TAIL_MIDDLES = ["", "ow", "ew", "in", "an", "ar", "ol", "uch"]
_TAIL_ENDINGS = [("ska", "ski"), ("cka", "cki"), ("ak", "ak"), ("czyk", "czyk"), ("ek", "ek")]
TAIL_LAST_NAMES: list[tuple[str, str]] = [
    (stem + middle + female, stem + middle + male)
    for stem in _TAIL_STEMS for middle in _TAIL_MIDDLES for female, male in _TAIL_ENDINGS
]

EMAIL_DOMAINS: list[tuple[str, float]] = [
    ("gmail.com", 0.34), ("wp.pl", 0.16), ("o2.pl", 0.12), ("onet.pl", 0.11),
    ("interia.pl", 0.09), ("outlook.com", 0.07), ("op.pl", 0.05), ("yahoo.com", 0.03),
    ("icloud.com", 0.03),
]

#: Polish mobile number prefixes (first two of nine digits).
MOBILE_PREFIXES: list[int] = [50, 51, 53, 57, 60, 66, 69, 72, 73, 78, 79, 88]

#: department -> (share of categories, target gender mix (women, men, unisex),
#: base categories as (category name, item noun))
DEPARTMENTS: dict[str, tuple[float, tuple[float, float, float], list[tuple[str, str]]]] = {
    "Women": (0.20, (1.0, 0.0, 0.0), [
        ("Dresses", "dress"), ("Blouses", "blouse"), ("Skirts", "skirt"),
        ("Women's Jeans", "jeans"), ("Lingerie", "lingerie set"), ("Women's Coats", "coat"),
        ("Women's Knitwear", "sweater"), ("Women's Trousers", "trousers"),
        ("Women's T-shirts", "t-shirt"), ("Nightwear", "pyjamas"),
    ]),
    "Men": (0.15, (0.0, 1.0, 0.0), [
        ("Shirts", "shirt"), ("Suits", "suit"), ("Men's Jeans", "jeans"),
        ("Men's Jackets", "jacket"), ("Men's Knitwear", "sweater"), ("Chinos", "chinos"),
        ("Men's T-shirts", "t-shirt"), ("Underwear", "boxers"), ("Ties", "tie"),
    ]),
    "Kids": (0.10, (0.0, 0.0, 1.0), [
        ("Baby Clothes", "bodysuit"), ("Toys", "toy"), ("Kids' Shoes", "shoes"),
        ("School Supplies", "school set"), ("Kids' Outerwear", "jacket"), ("Kids' Tops", "top"),
    ]),
    "Home": (0.12, (0.0, 0.0, 1.0), [
        ("Bedding", "bedding set"), ("Towels", "towel"), ("Kitchenware", "pan"),
        ("Candles", "candle"), ("Decor", "vase"), ("Tableware", "plate set"),
        ("Cushions", "cushion"),
    ]),
    "Beauty": (0.12, (0.7, 0.1, 0.2), [
        ("Skincare", "cream"), ("Makeup", "palette"), ("Fragrance", "eau de parfum"),
        ("Haircare", "shampoo"), ("Nail Care", "nail polish"), ("Shaving", "razor"),
    ]),
    "Sport": (0.11, (0.4, 0.4, 0.2), [
        ("Running", "running top"), ("Fitness", "leggings"), ("Outdoor", "hiking jacket"),
        ("Swimwear", "swimsuit"), ("Cycling", "cycling shorts"), ("Yoga", "yoga mat"),
    ]),
    "Accessories": (0.10, (0.45, 0.35, 0.2), [
        ("Bags", "bag"), ("Jewellery", "necklace"), ("Watches", "watch"),
        ("Belts", "belt"), ("Scarves", "scarf"), ("Sunglasses", "sunglasses"), ("Wallets", "wallet"),
    ]),
    "Footwear": (0.10, (0.45, 0.4, 0.15), [
        ("Sneakers", "sneakers"), ("Boots", "boots"), ("Sandals", "sandals"),
        ("Heels", "heels"), ("Loafers", "loafers"), ("Slippers", "slippers"),
    ]),
}

#: Qualifiers used to derive more categories from the base lists when the catalogue is large.
CATEGORY_QUALIFIERS: list[str] = [
    "", "Classic", "Premium", "Eco", "Urban", "Essential", "Vintage", "Luxe", "Active",
    "Seasonal", "Studio", "Heritage", "Nordic", "Coastal", "Modern", "Tailored",
    "Casual", "Festive", "Organic", "Limited", "Signature", "Travel", "Weekend",
    "Minimal", "Bold", "Soft", "Smart", "Retro", "Pure", "Wild", "Cosy", "Sunny",
    "Winter", "Summer", "Spring", "Autumn", "City", "Country", "Night", "Daily",
    "Pro", "Junior",
]

BRAND_SYLLABLES: list[str] = [
    "Au", "ro", "ra", "Ve", "la", "No", "va", "Lu", "mi", "na", "Ki", "to", "Sa",
    "ri", "Be", "lle", "Ma", "re", "Zo", "ta", "Fi", "ore", "Ka", "lo", "Te", "ra",
    "Mo", "ni", "Li", "ne", "Ar", "te", "Vi", "da", "Ca", "sa",
]

RETURN_REASONS: list[tuple[str, float]] = [
    ("wrong size", 0.38), ("changed mind", 0.2), ("damaged", 0.1),
    ("not as described", 0.12), ("late delivery", 0.05), ("quality", 0.15),
]

CALL_REASONS: list[tuple[str, float]] = [
    ("delivery status", 0.3), ("return request", 0.2), ("loyalty points", 0.15),
    ("complaint", 0.12), ("product question", 0.13), ("update details", 0.1),
]

_FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def ascii_fold(text: str) -> str:
    """Replace Polish diacritics with their ASCII base letters.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        ``text`` with ą, ć, ę, ł, ń, ó, ś, ź, ż (and capitals) folded to ASCII.
    """
    return text.translate(_FOLD)
