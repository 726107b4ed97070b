"""Which words of a toward / replace follow-up name the look the vibes student is asked for."""

import pytest

from vibegrade.students.refine import look_words


@pytest.mark.parametrize("request_, look", [
    ("more like the matrix", "matrix"),
    ("ugh too cold. just do golden hour instead", "golden hour"),
    ("can we do vaporwave instead of this", "vaporwave"),      # what follows "instead of" is left
    ("lets do autumn rather than winter", "autumn"),
    ("sepia pls, forget the pink", "sepia"),                   # a clause that rejects is not the look
    ("slightly more cinematic please, it's a travel reel", "cinematic"),  # nor one that only says why
    ("more 80s pls, like more of that era", "80s"),            # the first clause that asks
    ("more amélie vibes pls 💚❤️", "amelie"),                   # accents dropped
    ("ok now make it more matrix-y", "matrix"),                # "-y", "-ish", "-like" dropped
    ("more dune-like, that arrakis look 🏜️", "dune"),
    ("can u make it feel cozier", "cozy"),
    ("try moonlight (the film) instead", "moonlight"),
    ("drop all this and go black and white instead", "black and white"),
    ("swap this for something cozy pls", "cozy"),
    ("golden hour", "golden hour"),
    # size and emphasis words are not the look, and a clause of nothing else is skipped
    ("sepia, but only a tiny step toward it", "sepia"),
    ("lean harder into noir", "noir"),
    ("heaps more y2k energy 💜", "y2k"),
    ("nudge it a little toward autumn", "autumn"),
    ("it isn't cinematic enough yet", "cinematic"),            # "isn't … enough" asks for more
    # a change said after the look goes with it, for the vibes student to compose
    ("more like the matrix but darker", "matrix but darker"),
    ("make it golden hour, but warmer", "golden hour but warmer"),
    ("more like blade runner, a bit brighter pls", "blade runner but a bit brighter pls"),
    ("darker", "darker"),                                      # a change and no look: the request
    # "not X enough" asks for more of X, not for the look left behind; a wish with "like" is no clause end
    ("it's not cyberpunk enough", "cyberpunk"),
    ("not cinematic enough yet", "cinematic"),
    ("it's nowhere near synthwave enough, go much further that way", "synthwave"),
    ("i'd like it to feel closer to portra", "portra"),
    ("i'd like it just slightly more pastel", "pastel"),
    # what kind of name it is, and what the picture is for, are not the look
    ("slightly more like her (the movie)", "her"),
    ("needs more stranger things vibes for the halloween post", "stranger things"),
])
def test_look_words(request_: str, look: str) -> None:
    assert look_words(request_) == look


def test_nothing_but_filler_gives_the_request_back() -> None:
    assert look_words("more pls") == "more pls"
