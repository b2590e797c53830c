"""The controlled category taxonomy, how feeds' own vocabularies map onto it, and defaults.

Every attraction's categories come from :data:`CATEGORIES`. Feeds speak other vocabularies
(OpenStreetMap ``tourism=*``/``historic=*`` tags, schema.org types); the maps below translate
them. When a feed gives nothing usable, :func:`infer_categories` reads the name and
description with keyword rules.

Defaults (:data:`DEFAULT_VISIT_MINUTES`, :data:`DEFAULT_OPENING_HOURS`) are editorial
estimates of this project, not facts about any venue: an attraction that receives one is
flagged in ``defaults_applied`` and the API says so, and a provider's own value always wins.
"""

from __future__ import annotations

import re

CATEGORIES: dict[str, str] = {
    "history": "History & heritage",
    "castle": "Castles & forts",
    "museum": "Museums",
    "gallery": "Art & galleries",
    "architecture": "Architecture",
    "religious": "Churches, abbeys & religious sites",
    "archaeology": "Ancient monuments & archaeology",
    "garden": "Parks, gardens & demesnes",
    "nature": "Nature & landscapes",
    "coast": "Coast & beaches",
    "viewpoint": "Viewpoints",
    "walking": "Walks & trails",
    "food": "Food & local produce",
    "drink": "Distilleries, breweries & pubs",
    "music": "Music, theatre & nightlife",
    "family": "Family days out",
    "sport": "Sport & activities",
    "screen": "Film & TV locations",
    "shopping": "Shopping",
    "transport": "Transport heritage",
    "geology": "Geology, caves & landforms",
    "unesco": "UNESCO World Heritage & Global Geopark",
    "public-art": "Murals & public art",
    "wildlife": "Wildlife, zoos & aquariums",
    "market": "Markets & food halls",
}

OSM_TOURISM: dict[str, list[str]] = {
    "museum": ["museum", "history"],
    "gallery": ["gallery"],
    "artwork": ["public-art"],
    "viewpoint": ["viewpoint", "nature"],
    "zoo": ["wildlife", "family"],
    "aquarium": ["wildlife", "family"],
    "theme_park": ["family"],
    "picnic_site": ["nature"],
    "attraction": [],
}
# tourism=* values that are not attractions: rejected with a reason rather than imported.
OSM_TOURISM_NOT_ATTRACTIONS = {
    "hotel", "hostel", "guest_house", "motel", "apartment", "camp_site", "caravan_site",
    "chalet", "information", "alpine_hut", "wilderness_hut",
}
OSM_HISTORIC: dict[str, list[str]] = {
    "castle": ["castle", "history"],
    "fort": ["castle", "history"],
    "archaeological_site": ["archaeology", "history"],
    "monument": ["history"],
    "memorial": ["history"],
    "ruins": ["history"],
    "church": ["religious", "history"],
    "monastery": ["religious", "history"],
    "building": ["architecture", "history"],
    "manor": ["architecture", "history"],
    "ship": ["transport", "history"],
    "railway": ["transport", "history"],
    "tomb": ["archaeology", "history"],
}
OSM_OTHER: dict[tuple[str, str], list[str]] = {
    ("leisure", "park"): ["garden"],
    ("leisure", "garden"): ["garden"],
    ("leisure", "nature_reserve"): ["nature"],
    ("natural", "beach"): ["coast"],
    ("natural", "peak"): ["nature", "viewpoint"],
    ("natural", "waterfall"): ["nature"],
    ("natural", "cave_entrance"): ["geology", "nature"],
    ("amenity", "place_of_worship"): ["religious"],
    ("amenity", "arts_centre"): ["gallery", "music"],
    ("amenity", "theatre"): ["music"],
    ("craft", "distillery"): ["drink"],
    ("craft", "brewery"): ["drink"],
    ("amenity", "marketplace"): ["market", "food", "shopping"],
}

SCHEMA_TYPES: dict[str, list[str]] = {
    "Museum": ["museum", "history"],
    "ArtGallery": ["gallery"],
    "LandmarksOrHistoricalBuildings": ["history", "architecture"],
    "Park": ["garden"],
    "Zoo": ["wildlife", "family"],
    "Aquarium": ["wildlife", "family"],
    "AmusementPark": ["family"],
    "Beach": ["coast"],
    "BodyOfWater": ["nature"],
    "Mountain": ["nature", "viewpoint"],
    "Landform": ["nature"],
    "Church": ["religious", "history"],
    "Cathedral": ["religious", "history"],
    "PlaceOfWorship": ["religious"],
    "Distillery": ["drink"],
    "Brewery": ["drink"],
    "Winery": ["drink"],
    "BarOrPub": ["drink"],
    "Restaurant": ["food"],
    "FoodEstablishment": ["food"],
    "MusicVenue": ["music"],
    "PerformingArtsTheater": ["music"],
    "StadiumOrArena": ["sport"],
    "SportsActivityLocation": ["sport"],
    "GolfCourse": ["sport"],
    "TouristAttraction": [],
    "Place": [],
    "CivicStructure": ["architecture"],
}
# schema.org types a feed may use for an attraction (a row of another type is rejected).
SCHEMA_ATTRACTION_TYPES = set(SCHEMA_TYPES) | {"TouristDestination", "LocalBusiness", "Bridge"}

# Keyword rules over name + description: (regex, categories). Order does not matter.
_KEYWORDS: list[tuple[str, list[str]]] = [
    (r"\bcastles?\b|\bfort\b|\bkeep\b", ["castle", "history"]),
    (r"\bmuseums?\b|\bheritage cent", ["museum", "history"]),
    (r"\bgaller(y|ies)\b|\bart(s)? cent", ["gallery"]),
    (r"\bdistiller(y|ies)\b|\bbrewer(y|ies)\b|\bwhiske?y\b|\bgin\b", ["drink"]),
    (r"\babbey\b|\bchurch\b|\bcathedral\b|\bpriory\b|\bfriary\b|\bchapel\b", ["religious", "history"]),
    (r"\bgardens?\b|\bpark\b|\bdemesne\b|\barboretum\b", ["garden"]),
    (r"\bbeach\b|\bstrand\b|\bbay\b|\bharbou?r\b|\bcliffs?\b|\bcoast", ["coast"]),
    (r"\bgiants?'?s? causeway\b", ["coast", "geology", "unesco"]),
    (r"\bforest\b|\bglens?\b|\bwaterfall\b|\bnature\b|\bcauseway\b|\bdunes?\b|\bmountains?\b|\blough\b"
     r"|\bhead\b", ["nature"]),
    (r"\bhedges\b|\bgame of thrones\b|\bfilming\b", ["screen"]),
    (r"\bwalks?\b|\btrails?\b|\bpath\b|\bway\b", ["walking"]),
    (r"\brope bridge\b|\bview ?point\b", ["viewpoint", "nature"]),
    (r"\bzoo\b|\baquarium\b|\bfarm\b|\bfun\b|\bplay", ["family"]),
    (r"\bgolf\b|\bleisure cent|\bsurf", ["sport"]),
    (r"\bmarket\b", ["market", "food", "shopping"]),
    (r"\bmurals?\b|\bsculptures?\b|\bpublic art\b", ["public-art"]),
    (r"\bzoo\b|\baquarium\b|\bwildlife\b|\bseabirds?\b|\bwetlands?\b", ["wildlife"]),
    (r"\bcaves?\b|\bbasalt\b|\bgeopark\b|\bvolcanic\b", ["geology"]),
    (r"\bunesco\b|\bworld heritage\b|\bgeopark\b", ["unesco"]),
    (r"\brailway\b|\btitanic\b|\bshipyard\b|\btram", ["transport", "history"]),
    (r"\bhouse\b|\bhall\b|\bmansion\b|\btower\b|\btemple\b|\bpyramid\b|\bmausoleum\b|\bfolly\b",
     ["architecture", "history"]),
    (r"\blakes?\b|\bisland\b|\briver\b|\bvalley\b", ["nature"]),
    (r"\bdolmen\b|\bcairn\b|\bstanding stone\b|\bring ?fort\b|\brath\b|\bmegalithic\b|\bmountsandel\b",
     ["archaeology", "history"]),
]
_KEYWORD_RES = [(re.compile(p, re.IGNORECASE), cats) for p, cats in _KEYWORDS]

# Typical visit length in minutes for the first category of an attraction; our estimates.
DEFAULT_VISIT_MINUTES: dict[str, int] = {
    "museum": 90, "castle": 90, "gallery": 60, "architecture": 60, "history": 60,
    "religious": 30, "archaeology": 30, "garden": 75, "nature": 90, "coast": 60,
    "viewpoint": 30, "walking": 120, "food": 60, "drink": 75, "music": 120, "family": 150,
    "sport": 120, "screen": 30, "shopping": 60, "transport": 60, "geology": 60, "unesco": 120,
    "public-art": 20, "wildlife": 150, "market": 60,
}
FALLBACK_VISIT_MINUTES = 60

# Opening hours (OpenStreetMap syntax) assumed when a feed gives none; our estimates.
# Outdoor places follow daylight ("sunrise-sunset" is evaluated for the place's coordinates).
DEFAULT_OPENING_HOURS: dict[str, str] = {
    "museum": "Tu-Sa 10:00-17:00; Su 12:00-17:00",
    "gallery": "Tu-Sa 10:00-17:00; Su 12:00-17:00",
    "castle": "Mo-Su 10:00-17:00",
    "architecture": "Mo-Su 10:00-17:00",
    "drink": "Mo-Sa 10:00-17:00; Su 12:00-17:00",
    "food": "Mo-Sa 09:00-17:00",
    "shopping": "Mo-Sa 09:00-17:30; Su 13:00-17:00",
    "music": "Mo-Su 19:00-23:00",
    "family": "Mo-Su 10:00-17:00",
    "sport": "Mo-Su 09:00-18:00",
    "religious": "Mo-Su 09:00-17:00",
    "garden": "Mo-Su 09:00-17:00",
    "nature": "sunrise-sunset",
    "coast": "sunrise-sunset",
    "viewpoint": "sunrise-sunset",
    "walking": "sunrise-sunset",
    "archaeology": "sunrise-sunset",
    "screen": "sunrise-sunset",
    "history": "Mo-Su 10:00-17:00",
    "transport": "Mo-Su 10:00-17:00",
    "geology": "sunrise-sunset",
    "unesco": "Mo-Su 09:00-17:00",
    "public-art": "24/7",
    "wildlife": "Mo-Su 10:00-17:00",
    "market": "Sa 09:00-14:00",
}
FALLBACK_OPENING_HOURS = "Mo-Su 10:00-17:00"

# Categories that are mostly enjoyed outdoors (a feature for the recommender and planner).
OUTDOOR = {"garden", "nature", "coast", "viewpoint", "walking", "archaeology", "screen", "geology",
           "public-art"}


def is_category(value: str) -> bool:
    return value in CATEGORIES


def merge_categories(*groups: list[str]) -> list[str]:
    """Concatenate category lists, keeping first-seen order and dropping repeats."""
    out: list[str] = []
    for group in groups:
        for cat in group:
            if cat in CATEGORIES and cat not in out:
                out.append(cat)
    return out


def infer_categories(*texts: str | None) -> list[str]:
    """Categories suggested by keywords in the given texts (name first), in rule order."""
    blob = " ".join(t for t in texts if t)
    found: list[tuple[int, list[str]]] = []
    for regex, cats in _KEYWORD_RES:
        match = regex.search(blob)
        if match:
            found.append((match.start(), cats))
    found.sort(key=lambda item: item[0])  # the earliest keyword leads: "Castle Gardens" is a castle
    return merge_categories(*(cats for _, cats in found))


def default_visit_minutes(categories: list[str]) -> tuple[int, str]:
    """A visit duration and the category it came from ("fallback" when none)."""
    for cat in categories:
        if cat in DEFAULT_VISIT_MINUTES:
            return DEFAULT_VISIT_MINUTES[cat], cat
    return FALLBACK_VISIT_MINUTES, "fallback"


def default_opening_hours(categories: list[str]) -> tuple[str, str]:
    """Opening hours and the category they came from ("fallback" when none)."""
    for cat in categories:
        if cat in DEFAULT_OPENING_HOURS:
            return DEFAULT_OPENING_HOURS[cat], cat
    return FALLBACK_OPENING_HOURS, "fallback"
