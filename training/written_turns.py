"""User turns written for this project (same licence as the project), for languages whose
permissive text in shared/data is missing or too thin.

- Polish: shared/data's only Polish text (leyzer) is CC BY-NC-ND, evaluation material only, so
  without these the model would learn Polish from nothing but `fillers.md` phrases.
- German: the only permissive German is 800 xSID voice commands (XDailyDialog is NC), and the
  model read German verb-final clauses and separable verbs backwards ("ich rufe dich morgen an"
  unfinished, "ich rufe dich morgen" finished: training/error_analysis.md).

The templates are everyday requests and statements of the kind a voice agent hears (weather,
alarms, calls, bookings, travel, shopping, banking, small talk), one- and two-clause sentences so
that the generator's cuts land after the language's function words ("i", "że", "do"; "weil",
"dass", "den") and before a final verb or particle. Slot values are written in the case their
slot needs, so every sentence is grammatical.
"""

PL_SLOTS = {
    "CITY_LOC": ["w Krakowie", "w Warszawie", "w Gdańsku", "we Wrocławiu", "w Poznaniu", "w Łodzi", "w Lublinie",
                 "w Szczecinie", "w Katowicach", "w Zakopanem", "w Toruniu", "w Białymstoku", "nad morzem", "w górach"],
    "CITY_GEN": ["do Krakowa", "do Warszawy", "do Gdańska", "do Wrocławia", "do Poznania", "do Łodzi", "do Lublina",
                 "do Szczecina", "do Katowic", "do Zakopanego", "do Torunia", "do Berlina", "do Pragi"],
    "CITY_FROM": ["z Krakowa", "z Warszawy", "z Gdańska", "z Wrocławia", "z Poznania", "z Łodzi", "z Lublina",
                  "z Katowic", "z Torunia"],
    "DAY": ["jutro", "dzisiaj", "w poniedziałek", "we wtorek", "w środę", "w czwartek", "w piątek", "w sobotę",
            "w niedzielę", "pojutrze", "w przyszłym tygodniu", "w weekend", "dziś wieczorem", "jutro rano"],
    "DAY_NA": ["na jutro", "na dzisiaj", "na poniedziałek", "na wtorek", "na środę", "na czwartek", "na piątek",
               "na sobotę", "na niedzielę", "na przyszły tydzień", "na weekend", "na 12 maja", "na 3 czerwca"],
    "TIME": ["o ósmej", "o dziewiątej rano", "o siódmej trzydzieści", "o piętnastej", "o szóstej wieczorem",
             "w południe", "o 18:00", "o 7:15", "o dwudziestej", "o wpół do dziesiątej"],
    "ALARM": ["na szóstą", "na siódmą", "na szóstą trzydzieści", "na ósmą rano", "na 5:45", "na wpół do siódmej"],
    "PERSON_GEN": ["do mamy", "do taty", "do Marka", "do Ani", "do szefa", "do babci", "do Tomka", "do Kasi",
                   "do pani Kowalskiej", "do pana Nowaka", "do brata", "do żony", "do męża"],
    "PEOPLE": ["dla dwóch osób", "dla czterech osób", "dla trzech osób", "dla sześciu osób", "dla jednej osoby",
               "dla 5 osób"],
    "ARTIST": ["Dawida Podsiadło", "Kayah", "Czesława Niemena", "Chopina", "zespołu Queen", "Myslovitz",
               "Anny Marii Jopek", "Beatlesów", "Kultu", "Edyty Górniak"],
    "GENRE": ["jazz", "muzykę klasyczną", "rocka", "coś spokojnego", "radio", "listę przebojów", "podcast o historii",
              "audiobooka", "wiadomości"],
    "DISH": ["pizzę", "sushi", "pierogi", "zupę pomidorową", "kebaba", "sałatkę grecką", "schabowego z ziemniakami",
             "makaron", "dwie kawy"],
    "ITEM": ["mleko", "chleb", "jajka", "masło", "kawę", "pomidory", "ser żółty", "papier toaletowy", "jabłka",
             "proszek do prania", "wodę mineralną"],
    "DURATION": ["na dziesięć minut", "na pięć minut", "na pół godziny", "na godzinę", "na dwadzieścia minut",
                 "na 3 minuty", "na kwadrans"],
    "ROOM": ["kuchni", "salonie", "sypialni", "łazience", "przedpokoju", "pokoju dzieci", "garażu"],
    "TASK": ["o wizycie u dentysty", "o spotkaniu z klientem", "o urodzinach mamy", "o zapłaceniu rachunku",
             "o odebraniu paczki", "o lekach", "o treningu", "o wyniesieniu śmieci"],
    "PROBLEM": ["z internetem", "z telefonem", "z kartą", "z zamówieniem", "z logowaniem", "z fakturą",
                "z drukarką", "z dostawą", "z aplikacją"],
    "PLACE": ["apteka", "stacja benzynowa", "piekarnia", "poczta", "kawiarnia", "przychodnia", "restauracja"],
    "PLACE_GEN": ["najbliższej apteki", "przychodni", "tej restauracji", "warsztatu", "biura obsługi klienta",
                  "hotelu"],
    "JOB": ["nauczyciel", "programista", "kierowca", "pielęgniarka", "kucharz", "księgowa", "student", "lekarz"],
    "HOBBY": ["czytać książki", "grać w piłkę", "gotować", "chodzić po górach", "słuchać muzyki", "jeździć na rowerze",
              "oglądać filmy", "pływać"],
    "PLACE_TRIP": ["nad morze", "w góry", "na Mazury", "do babci", "nad jezioro", "za granicę"],
    "NUM": ["dwa", "trzy", "cztery", "2", "3"],
}

PL_TEMPLATES = [
    # weather, time, information
    "jaka będzie pogoda {DAY} {CITY_LOC}?",
    "czy {DAY} będzie padać {CITY_LOC}?",
    "ile stopni jest teraz {CITY_LOC}?",
    "czy muszę {DAY} wziąć parasol?",
    "która jest godzina?",
    "jaki jest dzisiaj kurs euro?",
    "przeczytaj mi najnowsze wiadomości.",
    "jaki film grają {DAY} w kinie?",
    "gdzie jest najbliższa {PLACE}?",
    "do której jest otwarta {PLACE}?",
    "podaj mi numer do {PLACE_GEN}.",
    # alarms, reminders, home
    "ustaw budzik {ALARM}.",
    "obudź mnie {DAY} {TIME}.",
    "ustaw minutnik {DURATION}.",
    "przypomnij mi {DAY} {TASK}.",
    "przypomnij mi {TASK} {TIME}.",
    "włącz światło w {ROOM}.",
    "wyłącz światło w {ROOM} i zamknij rolety.",
    "zrób trochę głośniej.",
    "ścisz muzykę, bo dziecko śpi.",
    "następna piosenka.",
    "zatrzymaj muzykę.",
    "zagraj {GENRE}.",
    "włącz {GENRE}.",
    "puść coś {ARTIST}.",
    "dodaj {ITEM} do listy zakupów.",
    "dodaj {ITEM} i {ITEM} do listy zakupów.",
    "muszę jeszcze kupić {ITEM}.",
    # calls and messages
    "zadzwoń {PERSON_GEN}.",
    "zadzwoń {PERSON_GEN} i powiedz, że się spóźnię.",
    "napisz wiadomość {PERSON_GEN}, że będę {TIME}.",
    "wyślij SMS-a {PERSON_GEN}, że wszystko w porządku.",
    "chciałbym rozmawiać z konsultantem.",
    "czy mogę rozmawiać z kimś z działu reklamacji?",
    # bookings, travel
    "zarezerwuj stolik {PEOPLE} {DAY} {TIME}.",
    "chciałbym zarezerwować stolik {PEOPLE} {DAY_NA}.",
    "chciałbym zarezerwować pokój {CITY_LOC} {DAY_NA}, ale tylko jeśli jest parking.",
    "szukam hotelu {CITY_LOC}, który ma basen.",
    "zamów mi taksówkę na dworzec.",
    "potrzebuję taksówki na lotnisko {TIME}.",
    "ile kosztuje bilet {CITY_GEN}?",
    "o której jest najbliższy pociąg {CITY_GEN}?",
    "kup mi bilet {CITY_FROM} {CITY_GEN} {DAY_NA}.",
    "jak najszybciej dojechać {CITY_GEN}?",
    "ile czasu zajmie droga {CITY_FROM} {CITY_GEN}?",
    "czy mogę przełożyć wizytę {DAY_NA}?",
    "chciałbym się umówić do lekarza {DAY_NA}.",
    "kup {NUM} bilety do kina {DAY_NA}.",
    "{DAY} jadę {CITY_GEN} z rodziną.",
    "jeśli {DAY} będzie ładna pogoda, to pojedziemy {PLACE_TRIP}.",
    # orders, shopping, banking, support
    "chcę zamówić {DISH} z dostawą do domu.",
    "poproszę {DISH} i sok pomarańczowy.",
    "tak, poproszę {DISH}.",
    "mam problem {PROBLEM}.",
    "od wczoraj mam problem {PROBLEM} i nikt nie może mi pomóc.",
    "moja paczka jeszcze nie dotarła.",
    "zamówiłem paczkę w poniedziałek, a nadal jej nie mam.",
    "chciałbym sprawdzić stan konta.",
    "proszę zablokować moją kartę, bo ją zgubiłem.",
    "chcę anulować zamówienie, bo przyszło uszkodzone.",
    "czy mogę zapłacić kartą, czy tylko gotówką?",
    "chciałbym zmienić adres dostawy.",
    "proszę o fakturę na firmę.",
    "to był błąd, proszę o zwrot pieniędzy.",
    "nie, to nie jest mój numer.",
    "wolałbym {DAY}, jeśli to możliwe.",
    "nie wiem, czy zdążę na pociąg.",
    "myślę, że {DAY} będę miał czas.",
    # small talk
    "co słychać?",
    "jak się masz?",
    "opowiedz mi dowcip.",
    "dziękuję, to wszystko.",
    "mieszkam {CITY_LOC} od pięciu lat.",
    "pracuję {CITY_LOC} jako {JOB}.",
    "w wolnym czasie lubię {HOBBY}.",
    "lubię {HOBBY}, ale rzadko mam na to czas.",
    "mój syn jest chory i {DAY} nie pójdzie do szkoły.",
    "mam dwoje dzieci i psa.",
    "wczoraj byłem {CITY_LOC} na koncercie {ARTIST}.",
]

# Agent turns to use as context: a question the user's turn can answer or ignore.
PL_ASKS = ["W czym mogę pomóc?", "Czy mogę jeszcze w czymś pomóc?", "Na kiedy?", "Dla ilu osób?",
              "Co mogę dla pana zrobić?", "Słucham?", "Co u ciebie?", "Jak mogę pani pomóc?"]


DE_SLOTS = {
    "STADT_IN": ["in Berlin", "in München", "in Hamburg", "in Köln", "in Leipzig", "in Dresden", "in Wien",
                 "in Zürich", "in Stuttgart", "in Bremen", "an der Ostsee", "in den Bergen"],
    "STADT_NACH": ["nach Berlin", "nach München", "nach Hamburg", "nach Köln", "nach Leipzig", "nach Wien",
                   "nach Zürich", "nach Frankfurt", "nach Hause", "zum Flughafen", "zum Bahnhof"],
    "STADT_VON": ["von Berlin", "von München", "von Hamburg", "von Köln", "von Frankfurt", "von Dresden"],
    "TAG": ["morgen", "heute", "am Montag", "am Dienstag", "am Mittwoch", "am Donnerstag", "am Freitag",
            "am Samstag", "am Sonntag", "übermorgen", "nächste Woche", "am Wochenende", "heute Abend", "morgen früh"],
    "UHR": ["um acht", "um halb sieben", "um 7:30", "um 15 Uhr", "um sechs Uhr abends", "gegen Mittag",
            "um viertel nach neun", "um 20 Uhr"],
    "PERSON_AKK": ["meine Mutter", "meinen Vater", "Anna", "Thomas", "meinen Chef", "meine Oma", "Frau Müller",
                   "Herrn Schmidt", "meinen Bruder", "meine Frau", "meinen Mann"],
    "PERSON_DAT": ["meiner Mutter", "meinem Vater", "Anna", "Thomas", "meinem Chef", "meiner Oma", "Frau Müller",
                   "meinem Bruder", "meiner Frau"],
    "PERSONEN": ["für zwei Personen", "für vier Personen", "für drei", "für sechs Personen", "für eine Person"],
    "MUSIK": ["Jazz", "klassische Musik", "Rockmusik", "etwas Ruhiges", "das Radio", "die Charts",
              "einen Podcast über Geschichte", "ein Hörbuch", "die Nachrichten"],
    "KUENSTLER": ["von Helene Fischer", "von den Beatles", "von Queen", "von Mozart", "von Rammstein",
                  "von Udo Lindenberg", "von Herbert Grönemeyer"],
    "ESSEN": ["eine Pizza", "Sushi", "eine Currywurst", "eine Tomatensuppe", "einen Salat", "Nudeln",
              "zwei Kaffee", "ein Schnitzel mit Pommes"],
    "DING": ["Milch", "Brot", "Eier", "Butter", "Kaffee", "Tomaten", "Käse", "Klopapier", "Äpfel",
             "Waschmittel", "Mineralwasser"],
    "DAUER": ["zehn Minuten", "fünf Minuten", "eine halbe Stunde", "eine Stunde", "zwanzig Minuten",
              "3 Minuten", "eine Viertelstunde"],
    "RAUM": ["in der Küche", "im Wohnzimmer", "im Schlafzimmer", "im Bad", "im Flur", "im Kinderzimmer",
             "in der Garage"],
    "AUFGABE": ["an den Zahnarzttermin", "an das Meeting", "an Mamas Geburtstag", "an die Rechnung",
                "an das Paket", "an meine Tabletten", "an das Training", "an den Müll"],
    "PROBLEM": ["mit dem Internet", "mit meinem Handy", "mit meiner Karte", "mit meiner Bestellung",
                "mit dem Login", "mit der Rechnung", "mit dem Drucker", "mit der Lieferung", "mit der App"],
    "ORT": ["eine Apotheke", "eine Tankstelle", "eine Bäckerei", "ein Café", "eine Bank", "ein Krankenhaus"],
    "WECKZEIT": ["sechs Uhr", "halb sieben", "7:30", "acht Uhr morgens", "Viertel vor sechs"],
    "BERUF": ["Lehrer", "Programmiererin", "Busfahrer", "Krankenpfleger", "Koch", "Buchhalterin", "Student",
              "Ärztin"],
    "HOBBY": ["Bücher lesen", "Fußball spielen", "kochen", "wandern", "Musik hören", "Rad fahren",
              "Filme schauen", "schwimmen"],
    "ZAHL": ["zwei", "drei", "vier", "2", "3"],
}

DE_TEMPLATES = [
    # weather, time, information (verb-first and W-questions, verb-final ones too)
    "wie wird das Wetter {TAG} {STADT_IN}?",
    "regnet es {TAG} {STADT_IN}?",
    "brauche ich {TAG} einen Regenschirm?",
    "wie spät ist es?",
    "wie viel Grad sind es gerade {STADT_IN}?",
    "kannst du mir sagen, ob es {TAG} schneit?",
    "weißt du, wann der nächste Zug {STADT_NACH} fährt?",
    "lies mir die neuesten Nachrichten vor.",
    "welche Filme laufen {TAG} im Kino?",
    "wo ist hier {ORT}?",
    "gibt es hier in der Nähe {ORT}?",
    "wie lange hat die Apotheke heute offen?",
    # alarms, reminders, home (separable verbs at the end)
    "weck mich {TAG} {UHR}.",
    "stell den Wecker auf {WECKZEIT}.",
    "stell einen Timer auf {DAUER}.",
    "erinnere mich {TAG} {AUFGABE}.",
    "erinnere mich {UHR} {AUFGABE}.",
    "mach das Licht {RAUM} an.",
    "mach das Licht {RAUM} aus.",
    "schalte den Fernseher aus.",
    "schalte die Heizung {RAUM} ein.",
    "mach die Musik leiser, weil das Baby schläft.",
    "mach bitte lauter.",
    "nächstes Lied.",
    "hör auf mit der Musik.",
    "spiel {MUSIK}.",
    "spiel etwas {KUENSTLER} ab.",
    "setz {DING} auf die Einkaufsliste.",
    "setz {DING} und {DING} auf die Einkaufsliste.",
    "ich muss noch {DING} kaufen.",
    # calls and messages
    "ruf {PERSON_AKK} an.",
    "ruf {PERSON_AKK} an und sag, dass ich später komme.",
    "ich rufe dich {TAG} an.",
    "schreib {PERSON_DAT}, dass ich {UHR} da bin.",
    "schick {PERSON_DAT} eine Nachricht, dass alles in Ordnung ist.",
    "ich möchte mit einem Mitarbeiter sprechen.",
    "kann ich mit jemandem von der Reklamationsabteilung sprechen?",
    # bookings, travel
    "reservier einen Tisch {PERSONEN} {TAG} {UHR}.",
    "ich möchte einen Tisch {PERSONEN} {TAG} reservieren.",
    "ich würde gern ein Zimmer {STADT_IN} buchen, aber nur wenn es einen Parkplatz gibt.",
    "ich suche ein Hotel {STADT_IN}, das einen Pool hat.",
    "bestell mir ein Taxi {STADT_NACH}.",
    "ich brauche {UHR} ein Taxi {STADT_NACH}.",
    "was kostet eine Fahrkarte {STADT_NACH}?",
    "wann fährt der nächste Zug {STADT_NACH}?",
    "buch mir {TAG} eine Fahrkarte {STADT_VON} {STADT_NACH}.",
    "wie komme ich am schnellsten {STADT_NACH}?",
    "kann ich meinen Termin auf nächste Woche verschieben?",
    "ich muss den Termin {TAG} leider absagen.",
    "ich hätte gern einen Termin beim Arzt.",
    "kauf {ZAHL} Kinokarten für den Film {TAG}.",
    "{TAG} fahren wir mit der ganzen Familie {STADT_NACH}.",
    "wenn {TAG} schönes Wetter ist, fahren wir an den See.",
    # orders, shopping, banking, support (verb-final subordinate clauses)
    "ich möchte {ESSEN} bestellen.",
    "ich hätte gern {ESSEN} und einen Orangensaft.",
    "ja, {ESSEN} bitte.",
    "ich habe ein Problem {PROBLEM}.",
    "seit gestern habe ich ein Problem {PROBLEM}, und niemand kann mir helfen.",
    "mein Paket ist noch nicht angekommen.",
    "ich habe am Montag etwas bestellt, aber es ist immer noch nicht da.",
    "ich möchte meinen Kontostand wissen.",
    "bitte sperren Sie meine Karte, weil ich sie verloren habe.",
    "ich will die Bestellung stornieren, weil sie beschädigt angekommen ist.",
    "kann ich mit Karte zahlen oder nur bar?",
    "ich möchte meine Lieferadresse ändern.",
    "ich brauche eine Rechnung für meine Firma.",
    "das war ein Fehler, ich hätte gern mein Geld zurück.",
    "nein, das ist nicht meine Nummer.",
    "lieber {TAG}, wenn das geht.",
    "ich weiß nicht, ob ich den Zug noch schaffe.",
    "ich glaube, dass ich {TAG} Zeit habe.",
    "ich kann nicht kommen, weil ich {TAG} arbeiten muss.",
    # small talk
    "wie geht's?",
    "und dir?",
    "erzähl mir einen Witz.",
    "danke, das wäre alles.",
    "ich wohne seit fünf Jahren {STADT_IN}.",
    "ich arbeite {STADT_IN} als {BERUF}.",
    "am liebsten würde ich jetzt {HOBBY}.",
    "ich würde gern öfter {HOBBY}, aber ich habe selten Zeit.",
    "mein Sohn ist krank und geht {TAG} nicht in die Schule.",
    "ich habe zwei Kinder und einen Hund.",
    "gestern war ich {STADT_IN} auf einem Konzert.",
]

DE_ASKS = ["Wie kann ich helfen?", "Kann ich sonst noch etwas für Sie tun?", "Für wann?", "Für wie viele Personen?",
           "Was kann ich für Sie tun?", "Ja, bitte?", "Wie geht's dir?", "Worum geht es?"]

# language -> (slots, templates, agent questions)
WRITTEN = {"pl": (PL_SLOTS, PL_TEMPLATES, PL_ASKS), "de": (DE_SLOTS, DE_TEMPLATES, DE_ASKS)}


def sentences(lang, rng, n):
    """n random sentences of `lang` (repeats possible; the generator drops exact duplicates)."""
    slots, templates, _ = WRITTEN[lang]
    out = []
    for _ in range(n):
        t = rng.choice(templates)
        while "{" in t:
            a = t.index("{")
            b = t.index("}", a)
            t = t[:a] + rng.choice(slots[t[a + 1:b]]) + t[b + 1:]
        out.append(t[0].upper() + t[1:])
    return out
