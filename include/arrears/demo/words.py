"""Word lists of the demo portfolio: agencies of a Lyon-like metropolis, streets, residences, names.

Everything here is synthetic. Street and residence names are ordinary French place names (the kind found
in any town); first and last names are common French names combined at random, so a generated person is
nobody in particular. Phone numbers use the ranges ARCEP keeps for fiction where one exists (04 65 71,
06 39 98). Every string is encodable in Windows-1252 (the French ERP files are written in it).
"""

from __future__ import annotations

# agency_id, name, street line, postcode, city, phone, share of the portfolio, communes served
AGENCIES: tuple[tuple[str, str, str, str, str, str, float, tuple[tuple[str, str], ...]], ...] = (
    ("AG01", "Agence Lyon Centre", "24 rue Paul Bert", "69003", "Lyon", "04 65 71 10 01", 0.17,
     (("69001", "Lyon"), ("69002", "Lyon"), ("69003", "Lyon"), ("69004", "Lyon"), ("69006", "Lyon"),
      ("69007", "Lyon"))),
    ("AG02", "Agence Lyon 8e - 9e", "3 place du Onze Novembre 1918", "69008", "Lyon", "04 65 71 10 02", 0.16,
     (("69005", "Lyon"), ("69008", "Lyon"), ("69009", "Lyon"))),
    ("AG03", "Agence Villeurbanne", "118 cours Émile Zola", "69100", "Villeurbanne", "04 65 71 10 03", 0.16,
     (("69100", "Villeurbanne"),)),
    ("AG04", "Agence Vénissieux", "9 avenue Jean Cagne", "69200", "Vénissieux", "04 65 71 10 04", 0.15,
     (("69200", "Vénissieux"), ("69190", "Saint-Fons"))),
    ("AG05", "Agence Vaulx-en-Velin", "2 place de la Nation", "69120", "Vaulx-en-Velin", "04 65 71 10 05", 0.13,
     (("69120", "Vaulx-en-Velin"), ("69150", "Décines-Charpieu"))),
    ("AG06", "Agence Bron - Saint-Priest", "45 avenue Franklin Roosevelt", "69500", "Bron", "04 65 71 10 06",
     0.13, (("69500", "Bron"), ("69800", "Saint-Priest"))),
    ("AG07", "Agence Rillieux-la-Pape", "7 avenue de l'Europe", "69140", "Rillieux-la-Pape", "04 65 71 10 07",
     0.10, (("69140", "Rillieux-la-Pape"), ("69300", "Caluire-et-Cuire"), ("69580", "Sathonay-Camp"))),
)

# Share of qualified social supports by agency (the KPI target is 90 %: some agencies below, some above).
QUALIFIED_RATE = {"AG01": 0.94, "AG02": 0.91, "AG03": 0.87, "AG04": 0.85, "AG05": 0.92, "AG06": 0.89,
                  "AG07": 0.95}

STREET_TYPES_WEIGHTED = (("rue", 10), ("avenue", 4), ("boulevard", 2), ("place", 1), ("allée", 2),
                         ("chemin", 1), ("impasse", 1), ("cours", 1), ("montée", 1), ("quai", 1))

STREET_NAMES = (
    "Paul Bert", "Victor Hugo", "Jean Jaurès", "de la République", "Pasteur", "Gambetta", "Voltaire",
    "Anatole France", "Jules Ferry", "Émile Zola", "Henri Barbusse", "Gabriel Péri", "Jean Moulin",
    "Pierre Brossolette", "Danielle Casanova", "Lucie Aubrac", "Louise Michel", "Marcel Cachin",
    "des Alouettes", "des Tilleuls", "des Érables", "des Acacias", "du Stade", "de la Gare", "du Château",
    "des Écoles", "de la Paix", "de la Liberté", "Sully", "Garibaldi", "Marietton", "de Saint-Cyr",
    "de l'Industrie", "du Parc", "des Peupliers", "des Lilas", "du Moulin", "de la Poste", "Ampère",
    "Frédéric Mistral", "George Sand", "Colette", "Simone Veil", "Antoine de Saint-Exupéry",
    "des Canuts", "de la Soie", "Condorcet", "Descartes", "Albert Camus", "Paul Éluard",
    "Roger Salengro", "Salvador Allende", "Nelson Mandela", "Pablo Picasso", "Rosa Parks",
    "Joliot-Curie", "Marcel Sembat", "Francis de Pressensé", "Eugène Réguillon", "Léo Lagrange",
    "du 8 Mai 1945", "du 11 Novembre", "Édouard Herriot", "Berthelot", "des Mûriers", "des Glycines",
    "de la Convention", "de la Balme", "du Lyonnais", "du Dauphiné", "du Bourbonnais",
    # long names, to exercise the 38-character address lines of NF Z10-011
    "du Maréchal de Lattre de Tassigny", "du Général Frère", "des Droits de l'Homme et du Citoyen",
    "du Professeur Paul Sisley", "des Combattants d'Afrique du Nord", "du Docteur Jean-Baptiste Bonnet",
    "des Frères Lumière", "du Commandant Charcot", "des Anciens Combattants de la Résistance",
    "du Président Salvador Allende", "de la Division Française Libre",
)

RESIDENCES = (
    "Résidence Les Tilleuls", "Résidence Le Parc", "Les Marronniers", "Résidence Les Glycines",
    "Le Clos des Vignes", "Les Terrasses du Parc", "Résidence du Château", "Les Hauts de Saône",
    "Résidence Le Bel Air", "Les Jardins de la Soie", "Résidence Les Érables", "Le Grand Large",
    "Résidence Les Coteaux", "Les Balcons du Rhône", "Résidence Jean Moulin", "Le Plateau",
    "Résidence Les Alouettes", "Les Cerisiers", "Résidence La Roseraie", "Le Mas des Platanes",
)

BUILDINGS = ("A", "B", "C", "D", "E", "F", "G", "H", "1", "2", "3", "4", "5")

FIRST_NAMES_F = (
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sandrine", "Valérie", "Christine", "Stéphanie",
    "Céline", "Aurélie", "Julie", "Émilie", "Camille", "Léa", "Manon", "Chloé", "Sarah", "Laura", "Inès",
    "Fatima", "Khadija", "Samira", "Nadia", "Karima", "Malika", "Yasmina", "Leïla", "Amina", "Souad",
    "Aïcha", "Fatoumata", "Aminata", "Mariama", "Awa", "Ana", "Maria", "Sofia", "Hélène", "Françoise",
    "Monique", "Josiane", "Brigitte", "Martine", "Danielle", "Océane", "Jessica", "Mélanie", "Agnès",
    "Noémie", "Zoé", "Elif", "Hanane", "Naïma", "Rachida", "Nour", "Ginette", "Odile", "Gaëlle",
)
FIRST_NAMES_M = (
    "Jean", "Pierre", "Michel", "Philippe", "Alain", "Patrick", "Nicolas", "Christophe", "Laurent",
    "Frédéric", "Stéphane", "David", "Julien", "Sébastien", "Thomas", "Maxime", "Kévin", "Lucas", "Hugo",
    "Théo", "Mohamed", "Ahmed", "Karim", "Rachid", "Mehdi", "Youssef", "Samir", "Mustapha", "Hakim",
    "Bilal", "Mamadou", "Moussa", "Ibrahima", "Ousmane", "Abdoulaye", "José", "Manuel", "António",
    "Paulo", "Bernard", "Gérard", "Daniel", "René", "Serge", "Jacques", "François", "Joël", "Régis",
    "Cédric", "Jérôme", "Anthony", "Mickaël", "Loïc", "Mathis", "Noah", "Adam", "Rayan", "Yanis", "Emre",
    "Hervé",
)
LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
    "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefèvre", "Faure",
    "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand",
    "Gauthier", "Garcia", "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu",
    "Gautier", "Masson", "Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer",
    "Dufour", "Meunier", "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard",
    "Barbier", "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
    "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix",
    "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland",
    "Perret", "Chauvin", "Jacquet", "Bouvier", "Vial", "Berger", "Cholet", "Favre", "Chapuis", "Guillot",
    "Benali", "Bensaïd", "Haddad", "Mansouri", "Belkacem", "Cherif", "Amrani", "Bouzid", "Khelifi",
    "Saïdi", "Benamar", "Hamidi", "Zerrouki", "Boukhari", "Meziane", "Diallo", "Traoré", "Koné",
    "Diop", "Camara", "Sylla", "Ndiaye", "Cissé", "Touré", "Keita", "Ferreira", "Pereira", "Da Silva",
    "Rodrigues", "Fernandes", "Gonçalves", "Lopes", "Carvalho", "Santos", "Oliveira", "Nguyen", "Tran",
    "Yilmaz", "Demir", "Kaya", "Öztürk", "Rossi", "Esposito", "Sánchez", "Gómez", "Kowalski",
    "Le Gall", "Saint-Martin", "Du Plessis de Montmorency-Laval",
)
CIVILITY = {"F": "Mme", "M": "M."}

EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

# Forwarding addresses of departed tenants.
FORWARDING_RHONE = (("69330", "Meyzieu"), ("69400", "Villefranche-sur-Saône"), ("69700", "Givors"),
                    ("69230", "Saint-Genis-Laval"), ("69600", "Oullins-Pierre-Bénite"), ("69190", "Saint-Fons"),
                    ("69008", "Lyon"), ("69100", "Villeurbanne"), ("69200", "Vénissieux"))
FORWARDING_OTHER = (("38200", "Vienne"), ("01000", "Bourg-en-Bresse"), ("42000", "Saint-Étienne"),
                    ("38000", "Grenoble"), ("13003", "Marseille"), ("75019", "Paris"), ("63000", "Clermont-Ferrand"),
                    ("71100", "Chalon-sur-Saône"), ("26000", "Valence"), ("97400", "Saint-Denis"))
FORWARDING_ABROAD = (("Portugal", "4000-322", "Porto", "Rua de Santa Catarina 210"),
                     ("Algérie", "16000", "Alger", "12 rue Didouche Mourad"),
                     ("Belgique", "1000", "Bruxelles", "Rue Haute 48"),
                     ("Maroc", "20250", "Casablanca", "Boulevard Zerktouni 77"),
                     ("Espagne", "08012", "Barcelona", "Carrer de Verdi 31"))

EMPLOYER_PHONE_PREFIX = "04 65 71"
