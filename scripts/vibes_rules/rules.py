"""Trigger vocabularies of STYLE_GUIDE §7 (v2.1), shared by the stats and the checker."""
import re

COLOUR = (r"\b(red|reds|orange|oranges|yellow|yellows|green|greens|greenish|cyan|blue|blues|bluish|teal|"
          r"purple|violet|magenta|pink|pinks|purples|cyans|magentas|greys|gold|golden|amber|turquoise|aqua|"
          r"lavender|crimson|scarlet|emerald|peach|coral|mint|lilac|rose|ochre|terracotta|navy|cobalt|"
          r"indigo|burgundy)\b")
SUBJECT = (r"\b(sky|skies|sea|ocean|water|lagoon|lake|skin|skintones?|skin tones?|face|faces|portrait|"
           r"selfie|foliage|forest|leaves|leaf|grass|greenery|food)\b")
# Looks whose definition in this guide is a colour range (selective expected even without a colour word)
COLOUR_LOOKS = (r"(golden hour|teal and orange|teal & orange|orange and teal|vintage|retro|kodachrome|"
                r"portra|ektar|velvia|superia|cinestill|fuji|kodak|agfa|technicolor|matrix|sin city|"
                r"pleasantville|schindler)")
BW = r"\b(b&w|b/w|black and white|black & white|black-and-white|monochrome|grayscale|greyscale|noir)\b"
NO_PRESET_LOOK = (r"\b(natural|realistic|true to life|true colou?rs?|neutral|clean|unedited|raw|no filter|"
                  r"nofilter|minimal|straight out of camera|sooc)\b")
DARK = r"\b(noir|moody|dark|darker|gothic|goth|horror|low[- ]key|creepy|spooky|sinister|brooding|gloomy)\b"
TONED = r"\b(sepia|toned|tone[ds]?|cyanotype|selenium|platinum|gold[- ]toned|brown)\b"
# Family trigger words (the §1 preset table, as words a request can contain)
FAMILY = {
 "lovely_day": r"\b(sunny|sunshine|summer|summery|happy|cheerful|holiday|vacation|bright "
               r"day|picnic|mediterranean|riviera)\b",
 "fortune": r"\b(golden|gold|amber|honey|luxury|luxurious|opulent|gilded|champagne|candle(light)?)\b",
 "firecracker": r"\b(fire|heat|hot|desert sun|spicy|lava|flames?|sunset|inferno)\b",
 "vivid": r"\b(vivid|vibrant|pop|punchy|saturated|colou?rful|velvia|bold colou?rs?)\b",
 "ultra": r"\b(ultra|max|hdr overdone|extreme colou?r)\b",
 "north": r"\b(nordic|scandinavian|scandi|overcast|bleak|iceland|norway|calm cool|cloudy)\b",
 "winter": r"\b(winter|cold|snow|snowy|ice|icy|frost|frosty|frozen|arctic|glacier)\b",
 "purple_rain": r"\b(purple|violet|lavender|ultraviolet)\b",
 "faded_Retro": r"\b(vintage|retro|60s|70s|1960s|1970s|old photo|yellowed)\b",
 "faded_HighNoon": r"\b(bleached|sun[- ]washed|midday|high noon|overexposed summer)\b",
 "faded_Mist": r"\b(mist|misty|fog|foggy|haze|hazy)\b",
 "faded_Terra": r"\b(earthy|rustic|autumn|fall|dust|dusty|western|terracotta|brown)\b",
 "faded_Vista": r"\b(airy|open skies|travel)\b",
 "faded_C1": r"\b(film|analog|analogue|35mm|kodak|portra|90s|1990s|polaroid|instant)\b",
 "faded_AL2": r"\b(fuji|fujifilm|superia|400h|indie)\b",
 "teal_and_orange": r"\b(cinematic|cinema|blockbuster|movie|teal|thriller)\b",
 "spring": r"\b(spring|pastel|blossom|easter|mint)\b",
 "enchanted": r"\b(dreamy|dream|magical|magic|fantasy|fairy|fairytale|ethereal)\b",
 "cyberpunk": r"\b(neon|cyberpunk|synthwave|vaporwave|club|80s)\b",
 "darkness": (r"\b(dark|darker|moody|low[- ]key|horror|noir|gothic|goth|night|midnight|creepy|spooky|"
              r"gloomy)\b"),
 "action": r"\b(action|sport|sports|gritty|war)\b",
 "night_vision": r"\bnight vision\b", "negative": r"\b(negative|inverted|x-?ray)\b",
 "duotone": r"\b(duotone|sepia|monochrome red|red monochrome|toned)\b",
}
def family_hits(text):
    t = text.lower()
    return [k for k, rx in FAMILY.items() if re.search(rx, t)]

# ---- STYLE_GUIDE §7.3 v2.2: selective only when the request's own words give a reason ----
# (a) a colour named (the words of COLOUR, plus these)
COLOUR_V22 = (COLOUR + r"|\b(olive|sapphire|ruby|jade|rust|copper|blush|fuchsia|khaki|beige|tan|"
              r"greener|redder|bluer|yellower|pinker|purpler)\b")
# (b) a subject with a signature colour (§5): skin, sky, water, foliage, flowers, food
SUBJECT_V22 = (r"\b(skin|skintones?|face|faces|portraits?|selfies?|headshots?|tan|tanned|complexion|"
               r"sky|skies|sea|seas|ocean|oceans|water|waters|lagoon|lake|lakes|river|rivers|pool|"
               r"underwater|foliage|forest|forests|jungle|leaves|leaf|grass|greenery|trees?|"
               r"landscapes?|flowers?|roses?|tulips?|blossoms?|sunflowers?|lavender fields?|plants?|"
               r"moss|ferns?|bamboo|wheat|vineyards?|orchards?|rainforests?|woods|teeth|sunburn|redness|"
               r"food|foods)\b")
# (c) the closed list of looks that are defined by one or two colour ranges
COLOUR_LOOKS_V22 = (r"(golden hour|teal and orange|teal & orange|orange and teal|orange & teal|teal/orange|"
                    r"\bvintage\b|\bretro\b|kodachrome|portra|ektar|ektachrome|velvia|superia|cinestill|"
                    r"\bfuji|\bkodak|\bagfa|technicolou?r|the matrix|\bmatrix\b|am[ée]lie|"
                    r"earth tones?|jewel tones?|christmas|xmas|halloween|cyanotype|blueprint|sin city|"
                    r"schindler|pleasantville)")


def reason(text):
    """True when the words of ``text`` give a §7.3 (v2.2) reason for selective adjust."""
    t = text.lower()
    return any(re.search(rx, t) for rx in (COLOUR_V22, SUBJECT_V22, COLOUR_LOOKS_V22))
