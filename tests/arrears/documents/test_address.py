"""NF Z10-011 address blocks: what La Poste's sorting machine and the tenant read in the window."""

from __future__ import annotations

import re

import pytest
from arrears.documents.address import MAX_CHARS, AddressError, address_block, name_line, postal_upper, shorten

NADIA = [{"civility": "Mme", "first_name": "Nadia", "last_name": "Durand"}]


def block(lines, postcode="69003", city="Lyon", country=None, holders=NADIA):
    return address_block(name_line(holders, lease_id="L1"), lines, postcode, city, country, lease_id="L1").lines


def assert_valid(lines, limit=6, postal_lines=2):
    """At most ``limit`` lines of at most 38 characters; the last ``postal_lines`` (street onwards) in
    capitals without punctuation."""
    assert len(lines) <= limit
    for line in lines:
        assert len(line) <= MAX_CHARS, line
    for line in lines[-postal_lines:]:
        assert not re.search(r"[^A-Z0-9 ]", line), f"punctuation or lowercase in {line!r}"


def test_simple_address():
    lines = block(["12 rue Paul Bert"])
    assert lines == ("Mme Nadia DURAND", "12 RUE PAUL BERT", "69003 LYON")
    assert_valid(lines)


def test_punctuation_and_accents_removed_from_line_4():
    lines = block(["12, rue de l'Église"], postcode="69003", city="Lyon")
    assert lines[1] == "12 RUE DE L EGLISE"
    assert postal_upper("Saint-Étienne") == "SAINT ETIENNE"


def test_order_apartment_building_street():
    # given in the "wrong" order by the ERP: street, then building, then apartment
    lines = block(["3 avenue Jean Jaurès", "Résidence Les Tilleuls, bâtiment C", "Appartement 12, 3e étage"])
    assert lines == ("Mme Nadia DURAND", "APPARTEMENT 12, 3E ETAGE", "RESIDENCE LES TILLEULS, BATIMENT C",
                     "3 AVENUE JEAN JAURES", "69003 LYON")
    assert_valid(lines)


def test_long_street_is_abbreviated_with_the_standard_list():
    lines = block(["147 boulevard du Maréchal de Lattre de Tassigny"])
    assert lines[1] == "147 BD DU MARECHAL DE LATTRE DE TASSIGNY" or len(lines[1]) <= MAX_CHARS
    assert lines[1].startswith("147 BD ")
    assert len(lines[1]) <= MAX_CHARS
    assert_valid(lines)


def test_street_type_abbreviated_first_then_titles():
    line = shorten("112 AVENUE DU GENERAL CHARLES DE GAULLE NORD")  # 44 characters; AV alone gives 40
    assert line == "112 AV DU GAL CHARLES DE GAULLE NORD"
    assert len(line) <= MAX_CHARS
    assert "GAL" in line  # GENERAL -> GAL once the street type alone was not enough


def test_short_street_is_not_abbreviated():
    assert block(["4 avenue des Fleurs"])[1] == "4 AVENUE DES FLEURS"


def test_cedex_last_line():
    lines = block(["BP 1234"], postcode="69401", city="Lyon Cedex 03")
    assert lines[-1] == "69401 LYON CEDEX 03"
    assert lines[1] == "BP 1234"
    assert_valid(lines)


def test_lieu_dit_goes_after_street():
    lines = block(["Lieu-dit Les Granges", "2 chemin des Vignes"], postcode="69480", city="Anse")
    assert lines[1:] == ("2 CHEMIN DES VIGNES", "LIEU DIT LES GRANGES", "69480 ANSE")


def test_foreign_forwarding_address_has_country_last():
    lines = block(["Calle de Alcalá 45", "Piso 3"], postcode="28014", city="Madrid", country="Espagne")
    assert lines[-1] == "ESPAGNE"
    assert lines[-2] == "28014 MADRID"
    assert_valid(lines, limit=7, postal_lines=3)


def test_france_as_country_is_domestic():
    lines = block(["12 rue Paul Bert"], country="France")
    assert lines[-1] == "69003 LYON"


def test_two_holders_same_name():
    holders = [{"civility": "M.", "first_name": "Paul", "last_name": "Durand"},
               {"civility": "Mme", "first_name": "Nadia", "last_name": "Durand"}]
    assert name_line(holders) == ["M. et Mme DURAND"]


def test_two_holders_long_names_fit_or_split():
    holders = [{"civility": "Mme", "first_name": "Marie-Christine", "last_name": "Bernard-Lefebvre"},
               {"civility": "M.", "first_name": "Jean-Baptiste", "last_name": "Montmorency-Laval"}]
    lines = name_line(holders)
    assert all(len(x) <= MAX_CHARS for x in lines)
    assert "BERNARD-LEFEBVRE" in " ".join(lines) and "MONTMORENCY-LAVAL" in " ".join(lines)


def test_hostile_name_is_kept_as_text():
    holders = [{"civility": "M.", "first_name": "Jean", "last_name": "<b>Dupont</b> & {{ 7*7 }}"}]
    assert name_line(holders) == ["M. Jean <B>DUPONT</B> & {{ 7*7 }}"]


def test_street_that_cannot_be_made_valid_raises_naming_lease_and_line():
    with pytest.raises(AddressError) as err:
        block(["12 rue Anticonstitutionnellement Extraordinairement Interminable"])
    assert err.value.lease_id == "L1"
    assert "ANTICONSTITUTIONNELLEMENT" in err.value.line
    assert "L1" in str(err.value)


def test_too_many_lines_raises():
    with pytest.raises(AddressError, match="lines"):
        block(["Appartement 4", "Bâtiment B", "Résidence du Parc", "12 rue Paul Bert", "BP 12"],
              holders=[{"civility": "Mme", "first_name": "A" * 20, "last_name": "B" * 20},
                       {"civility": "M.", "first_name": "C" * 20, "last_name": "D" * 20}])


def test_bad_french_postcode_raises():
    with pytest.raises(AddressError, match="postcode"):
        block(["12 rue Paul Bert"], postcode="6900")


def test_no_living_holder_raises():
    with pytest.raises(AddressError, match="no living holder"):
        name_line([], lease_id="L9")


@pytest.mark.parametrize(("line", "expected"), [
    # 46 characters after the street type is abbreviated; the articles go (La Poste's rules), "DE" of a
    # name stays.
    ("146 PLACE DES ANCIENS COMBATTANTS DE LA RESISTANCE", "146 PL ANCIENS COMBATTANTS RESISTANCE"),
    ("166 RUE DES DROITS DE L HOMME ET DU CITOYEN", "166 RUE DROITS HOMME ET CITOYEN"),
    ("149 BIS RUE DE LA DIVISION FRANCAISE LIBRE", "149 BIS RUE DIVISION FRANCAISE LIBRE"),
    ("12 RUE DE GAULLE", "12 RUE DE GAULLE"),
])
def test_articles_are_dropped_only_when_the_line_is_still_too_long(line, expected):


    assert shorten(line) == expected
    assert len(shorten(line)) <= 38
